using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace DpBert.Tests.Checkpoints;

/// <summary>
/// A Hugging Face Hub imitation on 127.0.0.1 (raw TCP, one request per connection, so a test can cut a body halfway).
/// <c>GET|HEAD /{repo}/resolve/{revision}/{file}</c> answers as the hub does: LFS files with a 302 to
/// <c>/cdn/{sha256}</c> carrying <c>X-Repo-Commit</c>, <c>X-Linked-Etag</c> and <c>X-Linked-Size</c>; regular files
/// with 200 and <c>ETag</c> = git blob sha1; a missing file 404 with <c>X-Error-Code: EntryNotFound</c>; an unknown or
/// private repository (without the token) 401; a renamed repository a relative 307. <c>/cdn/{sha256}</c> serves the
/// blob with <c>Range</c> support, and can cut the connection, corrupt the bytes or trickle them. <c>/files/{name}</c>
/// serves plain files (GLUE archives).
/// </summary>
internal sealed class FakeHubServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, Repo> _repos = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _cutsLeft = new(StringComparer.Ordinal);

    private sealed record Repo(string Commit, Dictionary<string, (byte[] Bytes, bool Lfs)> Files, string? Token);

    public FakeHubServer()
    {
        _listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _ = Task.Run(AcceptLoop);
    }

    /// <summary>The base URL, e.g. http://127.0.0.1:41234.</summary>
    public string Endpoint { get; }

    /// <summary>Every request as "METHOD path [range]" on arrival, and "DONE METHOD path" once answered, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Old repository id to new: resolve requests get a relative 307.</summary>
    public ConcurrentDictionary<string, string> Renamed { get; } = new(StringComparer.Ordinal);

    /// <summary>Plain files served at /files/{name}.</summary>
    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Serve blobs with one byte changed (the hash no longer matches).</summary>
    public bool CorruptBlobs { get; set; }

    /// <summary>Delay after each 64 KiB of a blob, to make downloads overlap.</summary>
    public TimeSpan BlobChunkDelay { get; set; }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string GitBlobSha1(byte[] bytes) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));

    /// <summary>Publishes a repository at <paramref name="commit"/>; files named in <paramref name="lfs"/> are LFS files.</summary>
    public void AddRepo(string repoId, string commit, IReadOnlyDictionary<string, byte[]> files, IEnumerable<string> lfs, string? token = null)
    {
        var lfsSet = lfs.ToHashSet(StringComparer.Ordinal);
        var entries = files.ToDictionary(f => f.Key, f => (f.Value, lfsSet.Contains(f.Key)), StringComparer.Ordinal);
        foreach (var (_, (bytes, isLfs)) in entries)
            if (isLfs) _blobs[Sha256(bytes)] = bytes;
        _repos[repoId] = new Repo(commit, entries, token);
    }

    /// <summary>The next <paramref name="times"/> downloads of this blob (whole or resumed) stop after sending <paramref name="bytes"/> bytes and drop the connection.</summary>
    public void CutBlob(byte[] content, int bytes, int times = 1) => _cutsLeft[Sha256(content) + ":" + bytes] = times;

    public int CountRequests(string prefix) => Requests.Count(r => r.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for <paramref name="entry"/> in <see cref="Requests"/>: "DONE ..." is logged after
    /// the last byte is written, which a client may read, and exit on, before the server's task gets there.
    /// </summary>
    public bool WaitForRequest(string entry, TimeSpan timeout) => SpinWait.SpinUntil(() => Requests.Contains(entry), timeout);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var (method, path, headers) = await ReadRequest(stream);
                headers.TryGetValue("range", out string? range);
                Requests.Enqueue($"{method} {path}{(range is null ? "" : " " + range)}");
                await Route(stream, method, path, headers, range);
                Requests.Enqueue($"DONE {method} {path}");
            }
            catch (IOException) { }
            catch (SocketException) { }
        }
    }

    private async Task Route(NetworkStream stream, string method, string path, Dictionary<string, string> headers, string? range)
    {
        bool head = method == "HEAD";
        if (path.StartsWith("/files/", StringComparison.Ordinal))
        {
            if (Files.TryGetValue(Uri.UnescapeDataString(path["/files/".Length..]), out var file)) await Body(stream, head, file, range, cut: null);
            else await Send(stream, 404, "Not Found", []);
            return;
        }
        if (path.StartsWith("/cdn/", StringComparison.Ordinal))
        {
            string sha = path["/cdn/".Length..];
            if (!_blobs.TryGetValue(sha, out var blob)) { await Send(stream, 404, "Not Found", []); return; }
            int? cut = null;
            foreach (var key in _cutsLeft.Keys.Where(k => k.StartsWith(sha + ":", StringComparison.Ordinal)))
                if (_cutsLeft.AddOrUpdate(key, 0, (_, n) => n - 1) >= 0) cut = int.Parse(key[(sha.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            if (CorruptBlobs) { blob = (byte[])blob.Clone(); blob[blob.Length / 2] ^= 0xFF; }
            await Body(stream, head, blob, range, cut);
            return;
        }
        int resolve = path.IndexOf("/resolve/", StringComparison.Ordinal);
        if (resolve < 0) { await Send(stream, 404, "Not Found", []); return; }
        string repoId = path[1..resolve];
        string[] rest = path[(resolve + "/resolve/".Length)..].Split('/', 2);
        string revision = Uri.UnescapeDataString(rest[0]), fileName = Uri.UnescapeDataString(rest.Length > 1 ? rest[1] : "");
        if (Renamed.TryGetValue(repoId, out string? newId))
        {
            await Send(stream, 307, "Temporary Redirect", [("Location", $"/{newId}/resolve/{rest[0]}/{(rest.Length > 1 ? rest[1] : "")}")]);
            return;
        }
        headers.TryGetValue("authorization", out string? authorization);
        if (!_repos.TryGetValue(repoId, out var repo) || (repo.Token is not null && authorization != "Bearer " + repo.Token))
        {
            await Send(stream, 401, "Unauthorized", [("X-Error-Code", "RepositoryNotFound"), ("X-Error-Message", "Repository not found")]);
            return;
        }
        if (revision != "main" && revision != repo.Commit)
        {
            await Send(stream, 404, "Not Found", [("X-Error-Code", "RevisionNotFound")]);
            return;
        }
        if (!repo.Files.TryGetValue(fileName, out var entry))
        {
            await Send(stream, 404, "Not Found", [("X-Error-Code", "EntryNotFound"), ("X-Repo-Commit", repo.Commit)]);
            return;
        }
        if (entry.Lfs)
        {
            string sha = Sha256(entry.Bytes);
            await Send(stream, 302, "Found", [("Location", $"{Endpoint}/cdn/{sha}"), ("X-Repo-Commit", repo.Commit),
                ("X-Linked-Etag", $"\"{sha}\""), ("X-Linked-Size", entry.Bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("ETag", $"\"{GitBlobSha1(Encoding.ASCII.GetBytes(sha))}\"")]);
            return;
        }
        await Body(stream, head, entry.Bytes, range, cut: null, [("X-Repo-Commit", repo.Commit), ("ETag", $"\"{GitBlobSha1(entry.Bytes)}\"")]);
    }

    /// <summary>200 with the whole content, or 206 from the start of a <c>bytes=N-</c> range; <paramref name="cut"/> drops the connection after that many bytes.</summary>
    private async Task Body(NetworkStream stream, bool head, byte[] content, string? range, int? cut, (string, string)[]? extra = null)
    {
        int start = 0;
        var headers = new List<(string, string)>(extra ?? []);
        if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = int.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (start >= content.Length) { await Send(stream, 416, "Range Not Satisfiable", [("Content-Range", $"bytes */{content.Length}")]); return; }
            headers.Add(("Content-Range", $"bytes {start}-{content.Length - 1}/{content.Length}"));
        }
        headers.Add(("Accept-Ranges", "bytes"));
        await Send(stream, start > 0 ? 206 : 200, start > 0 ? "Partial Content" : "OK", headers, content.Length - start);
        if (head) return;
        int end = cut is int c ? Math.Min(content.Length, start + c) : content.Length;
        for (int offset = start; offset < end; offset += 1 << 16)
        {
            await stream.WriteAsync(content.AsMemory(offset, Math.Min(1 << 16, end - offset)));
            if (BlobChunkDelay > TimeSpan.Zero) await Task.Delay(BlobChunkDelay);
        }
        await stream.FlushAsync();
        if (cut is not null) stream.Socket.Close(0); // reset: the client sees the body end early
    }

    private static async Task Send(NetworkStream stream, int status, string reason, IEnumerable<(string Name, string Value)> headers, long contentLength = 0)
    {
        var text = new StringBuilder($"HTTP/1.1 {status} {reason}\r\n");
        foreach (var (name, value) in headers) text.Append($"{name}: {value}\r\n");
        text.Append($"Content-Length: {contentLength}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text.ToString()));
    }

    private static async Task<(string Method, string Path, Dictionary<string, string> Headers)> ReadRequest(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (!(bytes.Count >= 4 && bytes[^1] == '\n' && bytes[^2] == '\r' && bytes[^3] == '\n' && bytes[^4] == '\r'))
        {
            if (await stream.ReadAsync(one) == 0) throw new IOException("client closed before the request ended");
            bytes.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString(bytes.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var first = lines[0].Split(' ');
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        return (first[0], first[1], headers);
    }
}
