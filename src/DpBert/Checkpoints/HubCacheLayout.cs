using System.Text.RegularExpressions;

namespace DpBert.Checkpoints;

/// <summary>
/// Paths of <c>huggingface_hub</c>'s cache for one model repository:
/// <code>
/// {cache}/models--ORG--NAME/blobs/{etag}                   file contents, named by ETag (sha256 for LFS files, git sha1 otherwise)
/// {cache}/models--ORG--NAME/refs/{revision}                 the commit a branch or tag pointed to
/// {cache}/models--ORG--NAME/snapshots/{commit}/{file}        relative symlink to ../../blobs/{etag} (a copy where symlinks fail)
/// {cache}/models--ORG--NAME/.no_exist/{commit}/{file}        empty marker: the file does not exist at that commit
/// {cache}/.locks/models--ORG--NAME/{etag}.lock               held while one process downloads the blob
/// </code>
/// </summary>
internal sealed partial class HubCacheLayout(string cacheDirectory, string repoId)
{
    public string RepoId { get; } = repoId;

    public string FolderName { get; } = "models--" + repoId.Replace("/", "--", StringComparison.Ordinal);

    public string RepoFolder => Path.Combine(cacheDirectory, FolderName);

    public string Blob(string etag) => Path.Combine(RepoFolder, "blobs", etag);

    public string IncompleteBlob(string etag) => Blob(etag) + ".incomplete";

    public string Lock(string etag) => Path.Combine(cacheDirectory, ".locks", FolderName, etag + ".lock");

    public string Ref(string revision) => Path.Combine(RepoFolder, "refs", revision);

    public string SnapshotFolder(string commit) => Path.Combine(RepoFolder, "snapshots", commit);

    public string SnapshotFile(string commit, string fileName) => Path.Combine(SnapshotFolder(commit), fileName);

    public string NoExistMarker(string commit, string fileName) => Path.Combine(RepoFolder, ".no_exist", commit, fileName);

    /// <summary>The blob as a snapshot file's symlink names it: relative, through as many <c>..</c> as the file is deep.</summary>
    public static string RelativeBlobTarget(string fileName, string etag)
    {
        int depth = fileName.Count(c => c == '/');
        return string.Concat(Enumerable.Repeat("../", depth + 2)) + "blobs/" + etag;
    }

    /// <summary>True when <paramref name="snapshotFile"/> exists and, when it is a symlink, its blob does too (a deleted blob leaves a dangling link).</summary>
    public static bool IsUsable(string snapshotFile)
    {
        var info = new FileInfo(snapshotFile);
        return info.LinkTarget is not null ? info.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true } : info.Exists;
    }

    /// <summary>A 40-hex-digit commit hash is its own commit; anything else is a branch or tag resolved through refs/.</summary>
    public static bool IsCommitHash(string revision) => CommitHash().IsMatch(revision);

    /// <summary>The commit <paramref name="revision"/> names in the cache, or null when the cache has never resolved it.</summary>
    public string? CachedCommit(string revision)
    {
        if (IsCommitHash(revision)) return revision;
        string path = Ref(revision);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>True for a repository id such as <c>bert-base-uncased</c> or <c>google/bert_uncased_L-4_H-256_A-4</c>.</summary>
    public static bool IsRepoId(string text) => RepoIdPattern().IsMatch(text) && !text.Contains("--", StringComparison.Ordinal) && !text.Contains("..", StringComparison.Ordinal);

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();

    [GeneratedRegex(@"^([A-Za-z0-9][A-Za-z0-9_.-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")]
    private static partial Regex RepoIdPattern();
}
