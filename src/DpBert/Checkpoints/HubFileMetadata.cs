using System.Net.Http.Headers;

namespace DpBert.Checkpoints;

/// <summary>
/// What the hub's <c>resolve</c> answer says of a file: the commit the revision points to (<c>X-Repo-Commit</c>), the
/// ETag (<c>X-Linked-Etag</c> for LFS files, the sha256 of the content; else <c>ETag</c>, the git blob sha1), the size
/// (<c>X-Linked-Size</c>, else <c>Content-Length</c>) and where to download it from (the redirect target, for LFS files).
/// </summary>
internal sealed record HubFileMetadata(string Commit, string Etag, long Size, Uri DownloadUrl)
{
    /// <summary>True when the ETag is a sha256 (an LFS file), so the content can be verified against it.</summary>
    public bool IsSha256 => Etag.Length == 64 && Etag.All(Uri.IsHexDigit);

    /// <summary>True when the ETag is a git blob sha1 (a regular file).</summary>
    public bool IsGitSha1 => Etag.Length == 40 && Etag.All(Uri.IsHexDigit);

    /// <summary>Reads the metadata headers of a <c>resolve</c> response; null when a header the cache needs is absent or is not a plain token.</summary>
    public static HubFileMetadata? FromHeaders(HttpResponseHeaders headers, HttpContentHeaders content, Uri downloadUrl)
    {
        string? commit = First(headers, "X-Repo-Commit");
        string? etag = First(headers, "X-Linked-Etag") ?? headers.ETag?.Tag ?? First(headers, "ETag");
        string? size = First(headers, "X-Linked-Size") ?? content.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (commit is null || etag is null || !long.TryParse(size, out long length) || length < 0) return null;
        etag = (etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag).Trim().Trim('"').ToLowerInvariant();
        commit = commit.Trim();
        // Both become file and folder names in the cache: anything but a plain token would be a path.
        if (!IsPlainName(etag) || !IsPlainName(commit)) return null;
        return new HubFileMetadata(commit, etag, length, downloadUrl);
    }

    /// <summary>
    /// The commit a 404 <c>EntryNotFound</c> answer names (<c>X-Repo-Commit</c>), under which the absence is recorded in
    /// the cache; null when the header is absent or is not a plain token (it becomes a folder name).
    /// </summary>
    public static string? AbsenceCommit(HttpResponseHeaders headers)
    {
        string? commit = First(headers, "X-Repo-Commit")?.Trim();
        return commit is not null && IsPlainName(commit) ? commit : null;
    }

    private static bool IsPlainName(string text) =>
        text.Length is > 0 and <= 128 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string? First(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
