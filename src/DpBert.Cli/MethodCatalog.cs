using DpBert.Checkpoints;
using DpBert.Evaluation;
using DpBert.Methods;

namespace DpBert.Cli;

/// <summary>
/// Resolves the methods named by <c>--methods</c> to classifiers: the full and static models from the
/// fine-tuned folder, DPBERT, DeeBERT and PABEE from their folders (<c>--dpbert</c>, <c>--deebert</c>,
/// <c>--pabee</c>; default <c>&lt;model&gt;/dpbert</c>, ...).
/// </summary>
internal static class MethodCatalog
{
    public static (LoadedModel Full, List<IAdaptiveClassifier> Methods) Load(string modelDir, IEnumerable<AdaptiveMethod> methods, Func<AdaptiveMethod, string?> folderOf)
    {
        var full = ModelFolder.LoadSequenceClassifier(modelDir);
        return (full, methods.Select(m => m.Load(full, folderOf(m))).ToList());
    }

    public static AdaptiveMethod[] Parse(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new CliInputException("--methods is empty");
        try { return names.Select(AdaptiveMethods.FromName).Distinct().ToArray(); }
        catch (ArgumentException e) { throw new CliInputException($"--methods: {e.Message}"); }
    }
}
