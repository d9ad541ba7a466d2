using System.Net;
using System.Net.Http.Headers;
using System.Text;
using DpBert.Checkpoints;

namespace DpBert.Fuzz.Targets;

/// <summary>
/// The headers of the hub's answer to <c>HEAD .../resolve/{revision}/{file}</c>, as <see cref="HubClient"/> reads them:
/// the redirect target (<c>Location</c>), the commit, ETag and size (<see cref="HubFileMetadata.FromHeaders"/>) and the
/// commit of a 404 <c>EntryNotFound</c> (<see cref="HubFileMetadata.AbsenceCommit"/>). The input is header lines
/// (<c>Name: value</c>, Latin-1, as <c>SocketsHttpHandler</c> decodes them). Contract: no exception (an answer that is
/// not the hub's reads as null, which the client reports naming the URL), and whatever becomes a file or folder name in
/// the cache is a plain name, so every cache path stays inside the repository's folder.
/// </summary>
public sealed class HubHeadersTarget : FuzzTarget
{
    private static readonly Uri ResolveUrl = new("https://huggingface.co/org/model/resolve/main/config.json");
    private static readonly string Cache = Path.Combine(Path.GetTempPath(), "hub-cache");

    public override string Name => "hub-headers";

    public override string Description => "hub resolve answer headers: Location, HubFileMetadata.FromHeaders, AbsenceCommit";

    protected override string? FileName => null;

    protected override void Read(ReadOnlySpan<byte> input, string path)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new HeadersOnlyContent() };
        foreach (string line in Encoding.Latin1.GetString(input).Split('\r', '\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) continue;
            string name = line[..colon], value = line[(colon + 1)..].Trim(' ', '\t');
            // Each header goes where the handler puts it: the response's own collection, else the content's.
            if (!response.Headers.TryAddWithoutValidation(name, value)) response.Content.Headers.TryAddWithoutValidation(name, value);
        }

        // HubClient.ReadMetadata: an absolute Location is the CDN redirect whose target the metadata records.
        var location = response.Headers.Location;
        var downloadUrl = location is null ? ResolveUrl : new Uri(ResolveUrl, location);
        var cache = new HubCacheLayout(Cache, "org/model");
        if (HubFileMetadata.FromHeaders(response.Headers, response.Content.Headers, downloadUrl) is { } metadata)
        {
            if (metadata.Size < 0) throw new ReaderContractViolation($"negative size {metadata.Size}");
            RequireInside(cache, cache.Blob(metadata.Etag), "ETag");
            RequireInside(cache, cache.IncompleteBlob(metadata.Etag), "ETag");
            RequireInside(cache, cache.SnapshotFile(metadata.Commit, "config.json"), "X-Repo-Commit");
        }
        if (HubFileMetadata.AbsenceCommit(response.Headers) is { } absent)
            RequireInside(cache, cache.NoExistMarker(absent, "config.json"), "X-Repo-Commit of a 404");
    }

    private static void RequireInside(HubCacheLayout cache, string path, string header)
    {
        string full = Path.GetFullPath(path), folder = Path.GetFullPath(cache.RepoFolder) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(folder, StringComparison.Ordinal))
            throw new ReaderContractViolation($"the {header} header makes the cache path {full}, outside {folder}");
    }

    protected override bool IsTypedError(Exception error) => false;

    public override IEnumerable<FuzzSeed> Seeds()
    {
        // The answers the hub gives (and the tests' fake hub imitates): an LFS file redirected to the CDN, a regular
        // file, a renamed repository, a missing file, a weak ETag.
        const string commit = "0123456789abcdef0123456789abcdef01234567", sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        yield return Seed("lfs-redirect", $"Location: https://cdn-lfs.huggingface.co/repos/ab/cd/{sha}?download=true", $"X-Repo-Commit: {commit}",
            $"X-Linked-Etag: \"{sha}\"", "X-Linked-Size: 438000000", "ETag: \"7d1a2ffe02b0c1c6c4e12ad4a1e1f1a6d7b7d0a1\"", "Content-Length: 1234");
        yield return Seed("regular-file", $"X-Repo-Commit: {commit}", "ETag: \"7d1a2ffe02b0c1c6c4e12ad4a1e1f1a6d7b7d0a1\"", "Content-Length: 646",
            "Content-Type: text/plain; charset=utf-8", "Accept-Ranges: bytes");
        yield return Seed("renamed-repo", "Location: /new-org/model/resolve/main/config.json");
        yield return Seed("entry-not-found", "X-Error-Code: EntryNotFound", $"X-Repo-Commit: {commit}", "X-Error-Message: Entry not found");
        yield return Seed("weak-etag", $"X-Repo-Commit: {commit}", "ETag: W/\"abc-123\"", "Content-Length: 0");
    }

    private static FuzzSeed Seed(string name, params string[] lines) => new(name, Encoding.Latin1.GetBytes(string.Join("\r\n", lines) + "\r\n"));

    /// <summary>The content of a HEAD answer: headers only, its length whatever Content-Length says (never computed).</summary>
    private sealed class HeadersOnlyContent : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => Task.CompletedTask;

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
