using DpBert.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace DpBert.TorchSharp.Interop;

/// <summary>
/// Copies parameters between TorchSharp modules and the core engine's <see cref="ParameterSet"/>s by Hugging Face key.
/// The key sets must match exactly: a key on one side only is an error that names it.
/// </summary>
public static class ParameterTransfer
{
    /// <summary>Copies every parameter of <paramref name="module"/> from the set that holds its key (device and dtype converted).</summary>
    /// <exception cref="InvalidDataException">A key is missing on either side, or a shape differs; the message names it.</exception>
    public static void CopyFrom(nn.Module module, params ParameterSet[] sets) => CopyFrom(module, "", sets);

    /// <summary>
    /// As <see cref="CopyFrom(nn.Module, ParameterSet[])"/>, for a module whose keys are those of the sets without
    /// <paramref name="prefix"/> (a submodule on its own, such as the planner: <c>hidden.weight</c> for <c>planner.hidden.weight</c>).
    /// </summary>
    public static void CopyFrom(nn.Module module, string prefix, params ParameterSet[] sets)
    {
        var torchParameters = module.named_parameters().Select(p => (name: prefix + p.name, p.parameter)).ToList();
        var bySource = Match(torchParameters.Select(p => (p.name, p.parameter.shape)), sets);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in torchParameters)
        {
            var (set, info) = bySource[name];
            var values = set.Span(info).ToArray();
            parameter.copy_(tensor(values, info.Shape.Select(d => (long)d).ToArray()));
        }
    }

    /// <summary>Copies every parameter of <paramref name="module"/> into the set that holds its key (as float32, on the CPU).</summary>
    /// <exception cref="InvalidDataException">A key is missing on either side, or a shape differs; the message names it.</exception>
    public static void CopyTo(nn.Module module, params ParameterSet[] sets)
    {
        var torchParameters = module.named_parameters().ToList();
        var byTarget = Match(torchParameters.Select(p => (p.name, p.parameter.shape)), sets);
        using var scope = NewDisposeScope();
        foreach (var (name, parameter) in torchParameters)
        {
            var (set, info) = byTarget[name];
            parameter.detach().to(ScalarType.Float32).cpu().data<float>().CopyTo(set.Span(info));
        }
        foreach (var set in sets) set.MarkChanged();
    }

    private static Dictionary<string, (ParameterSet Set, ParameterInfo Info)> Match(IEnumerable<(string Name, long[] Shape)> torchParameters, ParameterSet[] sets)
    {
        var byName = new Dictionary<string, (ParameterSet, ParameterInfo)>(StringComparer.Ordinal);
        foreach (var set in sets)
            foreach (var info in set.Parameters)
                if (!byName.TryAdd(info.Name, (set, info))) throw new ArgumentException($"parameter \"{info.Name}\" is in two sets", nameof(sets));
        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, shape) in torchParameters)
        {
            seen.Add(name);
            if (!byName.TryGetValue(name, out var entry)) problems.Add($"TorchSharp parameter \"{name}\" has no counterpart in the core engine");
            else if (!entry.Item2.Shape.Select(d => (long)d).SequenceEqual(shape))
                problems.Add($"\"{name}\": TorchSharp shape [{string.Join(", ", shape)}], core shape {entry.Item2.ShapeText}");
        }
        problems.AddRange(byName.Keys.Where(k => !seen.Contains(k)).Select(k => $"core parameter \"{k}\" has no counterpart in the TorchSharp module"));
        if (problems.Count > 0) throw new InvalidDataException($"the TorchSharp module and the core parameters do not match:\n  {string.Join("\n  ", problems)}");
        return byName;
    }
}
