using System.Net;
using System.Net.Http.Headers;

namespace DpBert.Checkpoints;

/// <summary>
/// Downloads files of Hugging Face Hub model repositories into <c>huggingface_hub</c>'s cache layout (see
/// <see cref="HubCacheLayout"/>), so files Python downloaded are reused and the other way round. The flow is the
/// Python library's: a HEAD request on <c>{endpoint}/{repo}/resolve/{revision}/{file}</c> (relative redirects followed,
/// the CDN redirect of an LFS file not) gives the commit, ETag and size; the file is then fetched into
/// <c>blobs/{etag}.incomplete</c> under a per-blob lock, resumed with <c>Range</c> when the connection breaks,
/// checked against the size and the sha256 (LFS) or git sha1 (regular file), and only then renamed into
/// <c>blobs/</c> and linked from <c>snapshots/{commit}/</c>. A file that fails the check is deleted: the cache
/// holds complete, verified files or nothing. A 404 with <c>X-Error-Code: EntryNotFound</c> records a
/// <c>.no_exist</c> marker and answers "absent". Thread-safe.
/// </summary>
public sealed class HubClient : IDisposable
{
    private const int MaxRedirects = 5;
    private readonly HttpClient _http;

    /// <summary>The endpoint, cache and token in use.</summary>
    public HubOptions Options { get; }

    /// <summary>Creates a client; <paramref name="options"/> defaults to <see cref="HubOptions.FromEnvironment"/>.</summary>
    public HubClient(HubOptions? options = null)
    {
        Options = options ?? HubOptions.FromEnvironment();
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("dpbert", "1.0"));
    }

    /// <summary>
    /// The local path of <paramref name="fileName"/> in <paramref name="repoId"/> at <paramref name="revision"/>,
    /// downloading it into the cache when needed; null when the repository has no such file.
    /// </summary>
    /// <exception cref="HubException">The hub refused (401 without a valid token, an unknown repository or revision) or cannot be reached and the file is not cached.</exception>
    /// <exception cref="FileNotFoundException">Offline and the file is not in the cache; the message names it and the cache.</exception>
    /// <exception cref="InvalidDataException">The download does not match the hub's size or hash (it was discarded).</exception>
    public string? TryDownload(string repoId, string fileName, string revision = "main",
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (!HubCacheLayout.IsRepoId(repoId)) throw new ArgumentException($"\"{repoId}\" is not a Hugging Face repository id (name or org/name)", nameof(repoId));
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentException.ThrowIfNullOrEmpty(revision);
        if (fileName.StartsWith('/') || fileName.Split('/').Any(part => part is "" or "." or ".." || part.Contains('\\', StringComparison.Ordinal)))
            throw new ArgumentException($"\"{fileName}\" is not a file path inside a repository", nameof(fileName));
        if (revision.Contains("..", StringComparison.Ordinal) || revision.StartsWith('/'))
            throw new ArgumentException($"\"{revision}\" is not a revision", nameof(revision));
        var cache = new HubCacheLayout(Options.CacheDirectory, repoId);
        if (Options.Offline) return FromCache(cache, fileName, revision, "HF_HUB_OFFLINE is set", offline: true);

        HubFileMetadata? metadata;
        try { metadata = ReadMetadata(cache, fileName, revision, cancellation); }
        catch (HttpRequestException e) { return FromCache(cache, fileName, revision, $"{Options.Endpoint} cannot be reached ({e.Message})"); }
        catch (TaskCanceledException e) when (!cancellation.IsCancellationRequested) { return FromCache(cache, fileName, revision, $"{Options.Endpoint} did not answer in time ({e.Message})"); }
        if (metadata is null) return null;

        if (!HubCacheLayout.IsCommitHash(revision) && revision != metadata.Commit) WriteRef(cache, revision, metadata.Commit);
        string pointer = cache.SnapshotFile(metadata.Commit, fileName);
        if (HubCacheLayout.IsUsable(pointer)) return pointer;

        string blob = cache.Blob(metadata.Etag);
        if (!File.Exists(blob))
        {
            using var held = HubFileLock.Acquire(cache.Lock(metadata.Etag), Options.LockTimeout, cancellation);
            if (!File.Exists(blob)) Download(cache, fileName, metadata, progress, cancellation); // another process may have finished it while we waited
        }
        LinkSnapshotFile(pointer, blob, HubCacheLayout.RelativeBlobTarget(fileName, metadata.Etag), Options.UseSymlinks);
        return pointer;
    }

    /// <summary>As <see cref="TryDownload"/>, for a file that must exist.</summary>
    /// <exception cref="FileNotFoundException">The repository has no such file.</exception>
    public string Download(string repoId, string fileName, string revision = "main",
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellation = default) =>
        TryDownload(repoId, fileName, revision, progress, cancellation)
            ?? throw new FileNotFoundException($"{repoId}: the repository has no file {fileName} at revision {revision}", fileName);

    /// <summary>The URL a file resolves at: <c>{endpoint}/{repo}/resolve/{revision}/{file}</c>, each part escaped.</summary>
    /// <exception cref="ArgumentException">The endpoint is not an absolute http(s) URL.</exception>
    public Uri ResolveUrl(string repoId, string fileName, string revision = "main") =>
        Url.Absolute($"{Options.Endpoint.TrimEnd('/')}/{repoId}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', fileName.Split('/').Select(Uri.EscapeDataString))}",
            $"hub endpoint \"{Options.Endpoint}\" (--endpoint, or HF_ENDPOINT)");

    /// <summary>Releases the HTTP connections.</summary>
    public void Dispose() => _http.Dispose();

    /// <summary>Offline (or unreachable hub): the cached snapshot file, null for a recorded absence, else an error saying what is missing.</summary>
    private static string? FromCache(HubCacheLayout cache, string fileName, string revision, string why, bool offline = false)
    {
        string? commit = cache.CachedCommit(revision);
        if (commit is not null)
        {
            string pointer = cache.SnapshotFile(commit, fileName);
            if (HubCacheLayout.IsUsable(pointer)) return pointer;
            if (File.Exists(cache.NoExistMarker(commit, fileName))) return null;
        }
        string what = commit is null ? $"revision {revision} of {cache.RepoId} has never been downloaded" : $"{fileName} of {cache.RepoId} (commit {commit}) is not cached";
        throw new FileNotFoundException($"{why}, and {what} (cache {cache.RepoFolder}). Download it once with network access " +
            $"(dpbert download model {cache.RepoId}){(offline ? ", or unset HF_HUB_OFFLINE" : "")}.", fileName);
    }

    /// <summary>HEAD on the resolve URL, following relative redirects (renamed repositories) but not the CDN redirect.</summary>
    /// <returns>The metadata, or null when the file does not exist in the repository (a .no_exist marker is written).</returns>
    private HubFileMetadata? ReadMetadata(HubCacheLayout cache, string fileName, string revision, CancellationToken cancellation)
    {
        var url = ResolveUrl(cache.RepoId, fileName, revision);
        for (int redirect = 0; ; redirect++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(Options.MetadataTimeout);
            using var request = NewRequest(HttpMethod.Head, url);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
            using var response = _http.Send(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            int status = (int)response.StatusCode;
            var location = response.Headers.Location;
            if (status is >= 300 and < 400 && location is not null && !location.IsAbsoluteUri && redirect < MaxRedirects)
            {
                url = new Uri(url, location);
                continue;
            }
            if (status is >= 300 and < 400 && location is not null)
                return HubFileMetadata.FromHeaders(response.Headers, response.Content.Headers, new Uri(url, location))
                    ?? throw NotAHubResponse(cache, fileName, url);
            if (response.IsSuccessStatusCode)
                return HubFileMetadata.FromHeaders(response.Headers, response.Content.Headers, url) ?? throw NotAHubResponse(cache, fileName, url);
            string? errorCode = response.Headers.TryGetValues("X-Error-Code", out var codes) ? codes.FirstOrDefault() : null;
            if (response.StatusCode == HttpStatusCode.NotFound && errorCode == "EntryNotFound")
            {
                // The commit becomes a folder name: anything but a plain token is not recorded (the answer still says "absent").
                string? commit = HubFileMetadata.AbsenceCommit(response.Headers);
                if (commit is not null) RecordAbsence(cache, revision, commit, fileName);
                return null;
            }
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new HubException(
                    $"{cache.RepoId}: {status} {response.ReasonPhrase} for {url}: the repository is private or gated, or does not exist; " +
                    (Options.Token is null ? "set HF_TOKEN to an access token that may read it" : "the token in HF_TOKEN may not read it"), response.StatusCode),
                HttpStatusCode.NotFound => new HubException(
                    $"{cache.RepoId}: {(errorCode == "RevisionNotFound" ? $"no revision {revision}" : "repository not found")} ({status} for {url})", response.StatusCode),
                _ => new HubException($"{cache.RepoId}: {fileName}: {status} {response.ReasonPhrase} from {url}", response.StatusCode),
            };
        }
    }

    /// <summary>Fetches the blob into <c>{etag}.incomplete</c> (resuming what is there), verifies it and renames it into place. The caller holds the lock.</summary>
    private void Download(HubCacheLayout cache, string fileName, HubFileMetadata metadata, IProgress<HubDownloadProgress>? progress, CancellationToken cancellation)
    {
        string blob = cache.Blob(metadata.Etag), incomplete = cache.IncompleteBlob(metadata.Etag);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                Fetch(cache.RepoId, fileName, metadata, incomplete, progress, cancellation);
                break;
            }
            catch (Exception e) when (e is IOException or HttpRequestException && attempt < Options.MaxAttempts && !cancellation.IsCancellationRequested)
            {
                // The partial file stays: the next attempt asks only for the rest.
                cancellation.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100 * attempt));
            }
            catch (Exception e) when (e is IOException or HttpRequestException && e is not HubException)
            {
                throw new HubException($"{cache.RepoId}: {fileName}: download failed after {attempt} attempts ({e.Message}); " +
                    $"{new FileInfo(incomplete) switch { { Exists: true } f => f.Length, _ => 0 }} bytes kept in {incomplete} to resume", inner: e);
            }
        }
        string? problem = BlobVerification.Problem(incomplete, metadata);
        if (problem is not null)
        {
            File.Delete(incomplete);
            throw new InvalidDataException($"{cache.RepoId}: {fileName} from {metadata.DownloadUrl}: {problem}; the download was discarded and the cache left as it was");
        }
        File.Move(incomplete, blob, overwrite: true);
    }

    /// <summary>One GET of the download URL into <paramref name="incomplete"/>, from its current length on.</summary>
    private void Fetch(string repoId, string fileName, HubFileMetadata metadata, string incomplete, IProgress<HubDownloadProgress>? progress, CancellationToken cancellation)
    {
        long have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        if (have > metadata.Size) { File.Delete(incomplete); have = 0; }
        if (have == metadata.Size && have > 0) return;
        var url = metadata.DownloadUrl;
        for (int redirect = 0; ; redirect++)
        {
            using var request = NewRequest(HttpMethod.Get, url);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
            if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
            using var response = _http.Send(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location && redirect < MaxRedirects)
            {
                url = new Uri(url, location);
                continue;
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) { File.Delete(incomplete); throw new IOException($"{url}: range {have}- refused; starting over"); }
            if (!response.IsSuccessStatusCode)
                throw new HubException($"{repoId}: {fileName}: {(int)response.StatusCode} {response.ReasonPhrase} from {url}", response.StatusCode);
            bool resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (!resumed) have = 0; // the server ignored the range: take the whole file again
            using var body = response.Content.ReadAsStream(cancellation);
            using var file = new FileStream(incomplete, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            var buffer = new byte[1 << 16];
            long lastReport = -1;
            progress?.Report(new HubDownloadProgress(repoId, fileName, have, metadata.Size));
            int read;
            while ((read = ReadWithin(body, buffer, url, cancellation)) > 0)
            {
                file.Write(buffer, 0, read);
                have += read;
                if (have - lastReport >= 1 << 20) { progress?.Report(new HubDownloadProgress(repoId, fileName, have, metadata.Size)); lastReport = have; }
            }
            file.Flush(flushToDisk: true);
            progress?.Report(new HubDownloadProgress(repoId, fileName, have, metadata.Size));
            if (have < metadata.Size) throw new IOException($"{url}: the connection closed after {have} of {metadata.Size} bytes");
            return;
        }
    }

    /// <summary>One read of the body; a connection silent for <see cref="HubOptions.DownloadTimeout"/> is an <see cref="IOException"/> (retried with a range).</summary>
    private int ReadWithin(Stream body, byte[] buffer, Uri url, CancellationToken cancellation)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        idle.CancelAfter(Options.DownloadTimeout);
        try { return body.ReadAsync(buffer, idle.Token).AsTask().GetAwaiter().GetResult(); }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new IOException($"{url}: no data for {Options.DownloadTimeout.TotalSeconds:0.#} s");
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, Uri url)
    {
        var request = new HttpRequestMessage(method, url);
        // The token goes to the hub itself only, never to a third-party host a redirect names.
        if (Options.Token is not null && Uri.TryCreate(Options.Endpoint, UriKind.Absolute, out var endpoint) && endpoint.Authority == url.Authority)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.Token);
        return request;
    }

    /// <summary>Points <paramref name="pointer"/> at the blob: a relative symlink, or a copy where symlinks are not allowed; either appears atomically.</summary>
    private static void LinkSnapshotFile(string pointer, string blob, string relativeTarget, bool useSymlinks)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(pointer)!);
        string temporary = pointer + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            bool linked = false;
            if (useSymlinks)
            {
                try
                {
                    File.CreateSymbolicLink(temporary, relativeTarget.Replace('/', Path.DirectorySeparatorChar));
                    linked = true;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException) { }
            }
            if (!linked) File.Copy(blob, temporary, overwrite: true);
            File.Move(temporary, pointer, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary) || new FileInfo(temporary).LinkTarget is not null) File.Delete(temporary);
        }
    }

    private static void WriteRef(HubCacheLayout cache, string revision, string commit)
    {
        string path = cache.Ref(revision);
        if (File.Exists(path) && File.ReadAllText(path) == commit) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temporary, commit);
        File.Move(temporary, path, overwrite: true);
    }

    private static void RecordAbsence(HubCacheLayout cache, string revision, string commit, string fileName)
    {
        if (!HubCacheLayout.IsCommitHash(revision) && revision != commit) WriteRef(cache, revision, commit);
        string marker = cache.NoExistMarker(commit, fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        File.WriteAllBytes(marker, []);
    }

    private static HubException NotAHubResponse(HubCacheLayout cache, string fileName, Uri url) =>
        new($"{cache.RepoId}: {fileName}: the answer from {url} lacks X-Repo-Commit or an ETag, so it is not a Hugging Face Hub response; check HF_ENDPOINT");
}
