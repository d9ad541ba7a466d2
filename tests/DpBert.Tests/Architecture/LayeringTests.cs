using System.Reflection;
using NetArchTest.Rules;

namespace DpBert.Tests.Architecture;

/// <summary>
/// Dependencies point one way through the core library: text and kernels, then the model, checkpoints, training,
/// the methods (the shared abstractions, then DPBERT and the early-exit baselines side by side) and finally
/// evaluation. A namespace may use those below it and never one beside or above it, so no cycle can form.
/// </summary>
public class LayeringTests
{
    // Lowest first; namespaces on one line are siblings and must not use each other.
    private static readonly string[][] Layers =
    [
        ["DpBert.Tensors", "DpBert.Tokenization", "DpBert.Glue"],
        ["DpBert.Bert"],
        ["DpBert.Checkpoints"],
        ["DpBert.Inference", "DpBert.Training"],
        ["DpBert.Methods"],
        ["DpBert.Planning", "DpBert.EarlyExit"],
        ["DpBert.Evaluation", "DpBert.OnnxExport"],
    ];

    private static readonly Assembly Core = typeof(DpBert.Bert.BertModel).Assembly;

    public static TheoryData<string> Namespaces() => [.. Layers.SelectMany(l => l)];

    [Theory]
    [MemberData(nameof(Namespaces))]
    public void A_namespace_uses_only_the_layers_below_it(string name)
    {
        int layer = Array.FindIndex(Layers, l => l.Contains(name));
        var forbidden = Layers.Skip(layer).SelectMany(l => l).Where(n => n != name).ToArray();
        var result = Types.InAssembly(Core).That().ResideInNamespace(name).ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        Assert.True(result.IsSuccessful, $"{name} uses a namespace beside or above it ({string.Join(", ", forbidden)}): {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void Every_namespace_of_the_core_has_a_layer()
    {
        var known = Layers.SelectMany(l => l).ToHashSet();
        var actual = Core.GetTypes().Select(t => t.Namespace).OfType<string>().Where(n => n.StartsWith("DpBert.", StringComparison.Ordinal) && !n.StartsWith("DpBert.Tests", StringComparison.Ordinal))
            .Select(n => string.Join('.', n.Split('.').Take(2))).Distinct().ToList();
        Assert.All(actual, n => Assert.Contains(n, known));
        // The check can fail: the namespaces of the assembly are found, and each is constrained.
        Assert.True(actual.Count >= Layers.Sum(l => l.Length) - 1, $"only {actual.Count} namespaces found");
    }
}
