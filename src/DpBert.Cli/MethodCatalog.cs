using DpBert.Checkpoints;
using DpBert.EarlyExit;
using DpBert.Evaluation;
using DpBert.Planning;

namespace DpBert.Cli;

/// <summary>
/// Resolves the methods named by <c>--methods</c> to classifiers: the full and static models from the
/// fine-tuned folder, DPBERT from <c>--dpbert</c> (default <c>&lt;model&gt;/dpbert</c>), DeeBERT and PABEE from
/// their folders (default <c>&lt;model&gt;/deebert</c>, <c>&lt;model&gt;/pabee</c>).
/// </summary>
internal static class MethodCatalog
{
    public static readonly string[] Names = ["full", "dpbert", "deebert", "pabee", "static"];

    public static (LoadedModel Full, List<IAdaptiveClassifier> Methods) Load(string modelDir, IEnumerable<string> names,
        string? dpbertDir, string? deebertDir, string? pabeeDir)
    {
        var full = ModelFolder.LoadSequenceClassifier(modelDir);
        var methods = new List<IAdaptiveClassifier>();
        foreach (string name in names)
        {
            methods.Add(name switch
            {
                "full" => new FullDepthClassifier(full.Model),
                "static" => new StaticDepthClassifier(full.Model),
                "dpbert" => DpBertFolder.Load(Folder(dpbertDir, modelDir, "dpbert", "dpbert plan")).Classifier,
                "deebert" => EarlyExitFolder.Load(Folder(deebertDir, modelDir, "deebert", "dpbert exits --method deebert")).Classifier,
                "pabee" => EarlyExitFolder.Load(Folder(pabeeDir, modelDir, "pabee", "dpbert exits --method pabee")).Classifier,
                _ => throw new CliInputException($"--methods: unknown method \"{name}\"; use {string.Join(", ", Names)}"),
            });
        }
        return (full, methods);
    }

    public static string[] Parse(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).Distinct().ToArray();
        if (names.Length == 0) throw new CliInputException("--methods is empty");
        foreach (string n in names)
            if (!Names.Contains(n)) throw new CliInputException($"--methods: unknown method \"{n}\"; use {string.Join(", ", Names)}");
        return names;
    }

    private static string Folder(string? given, string modelDir, string method, string command)
    {
        string folder = given ?? Path.Combine(modelDir, method);
        if (!Directory.Exists(folder))
            throw new CliInputException($"{method}: folder {folder} not found; train it with `{command} --model {modelDir} ...` or pass --{method} <folder>");
        return folder;
    }
}
