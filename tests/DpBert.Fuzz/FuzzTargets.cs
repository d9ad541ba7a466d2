using DpBert.Fuzz.Targets;

namespace DpBert.Fuzz;

/// <summary>Every fuzz target, by name. To add one, write a <see cref="FuzzTarget"/> under Targets/ and list it here.</summary>
public static class FuzzTargets
{
    /// <summary>All targets, in the order campaigns run.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new SafetensorsTarget(),
        new PyTorchCheckpointTarget("pytorch-zip", legacy: false),
        new PyTorchCheckpointTarget("pytorch-legacy", legacy: true),
        new ConfigTarget(),
        new TokenizerJsonTarget(),
        new VocabTarget(),
        new TokenizerConfigTarget(),
        new GlueTsvTarget(),
        new JsonLinesTarget(),
        new HubHeadersTarget(),
        new OnnxModelTarget(),
    ];

    /// <summary>The target called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such target; the message lists them.</exception>
    public static FuzzTarget Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
            ?? throw new ArgumentException($"no fuzz target \"{name}\"; targets: {string.Join(", ", All.Select(t => t.Name))}", nameof(name));
}
