using System.IO.Compression;
using System.Security.Cryptography;

namespace DpBert.Glue;

/// <summary>
/// Fetches the official GLUE task files and unpacks them into the <c>glue_data/&lt;TASK&gt;/</c> layout that
/// <see cref="GlueDataFolder"/> reads. Each download is checked before anything is unpacked: its length against the
/// server's <c>Content-Length</c>, its SHA-256 when <see cref="GlueDownloadOptions.Sha256"/> lists it (no official
/// hashes are published, so by default the check is structural), the zip opens, no entry escapes the task folder,
/// and the train and dev files are there (MRPC: every row has its five fields and every dev id occurs). A task is
/// unpacked into a temporary folder and renamed into place, so a task folder is either complete or absent.
/// </summary>
public sealed class GlueDownloader(GlueDownloadOptions? options = null, HttpClient? http = null)
{
    private readonly GlueDownloadOptions _options = options ?? new GlueDownloadOptions();
    private readonly HttpClient _http = http ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Downloads <paramref name="tasks"/> into <paramref name="outputFolder"/> (created when needed).</summary>
    /// <exception cref="HttpRequestException">A server refused a file or could not be reached; the message names the URL.</exception>
    /// <exception cref="InvalidDataException">A download failed a check; the message names the file and the check. Nothing of that task was written.</exception>
    public IReadOnlyList<GlueDownloadResult> Download(IEnumerable<GlueTask> tasks, string outputFolder,
        IProgress<GlueDownloadProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        Directory.CreateDirectory(outputFolder);
        var results = new List<GlueDownloadResult>();
        foreach (var task in tasks.Distinct())
        {
            string target = Path.Combine(outputFolder, task.FolderName);
            if (Directory.Exists(target) && !_options.Force)
            {
                results.Add(new GlueDownloadResult(task, target, AlreadyPresent: true));
                continue;
            }
            string staging = Path.Combine(outputFolder, $".{task.FolderName}.partial-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(staging);
                if (GlueArchives.ArchiveOf(task) is { } archive) Unpack(task, Fetch(archive, progress, cancellation), archive, staging);
                else FormatMrpc(staging, progress, cancellation);
                foreach (string required in GlueArchives.RequiredFiles(task))
                    if (!File.Exists(Path.Combine(staging, required)))
                        throw new InvalidDataException($"GLUE {task.Name}: the download has no {task.FolderName}/{required}");
                Replace(target, staging);
            }
            finally
            {
                if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            }
            results.Add(new GlueDownloadResult(task, target, AlreadyPresent: false));
        }
        return results;
    }

    /// <summary>GETs one file into memory, checking its length and (when known) its SHA-256.</summary>
    private byte[] Fetch(string fileName, IProgress<GlueDownloadProgress>? progress, CancellationToken cancellation)
    {
        var url = _options.UrlOf(fileName);
        using var response = _http.Send(new HttpRequestMessage(HttpMethod.Get, url), HttpCompletionOption.ResponseHeadersRead, cancellation);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{url}: {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        long? total = response.Content.Headers.ContentLength;
        using var body = response.Content.ReadAsStream(cancellation);
        var bytes = new MemoryStream();
        var buffer = new byte[1 << 16];
        int read;
        long lastReport = 0;
        while ((read = body.Read(buffer)) > 0)
        {
            bytes.Write(buffer, 0, read);
            if (bytes.Length - lastReport >= 1 << 20) { progress?.Report(new GlueDownloadProgress(fileName, bytes.Length, total)); lastReport = bytes.Length; }
        }
        progress?.Report(new GlueDownloadProgress(fileName, bytes.Length, total));
        if (total is long expected && bytes.Length != expected)
            throw new InvalidDataException($"{url}: {bytes.Length} bytes received, but the server announced {expected} (connection cut?)");
        byte[] content = bytes.ToArray();
        if (_options.Sha256.TryGetValue(fileName, out string? sha))
        {
            string actual = Convert.ToHexStringLower(SHA256.HashData(content));
            if (!string.Equals(actual, sha.Trim(), StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{url}: sha256 {actual} does not match the expected {sha}");
        }
        return content;
    }

    /// <summary>Extracts the entries under the task's folder of the zip into <paramref name="staging"/>.</summary>
    private static void Unpack(GlueTask task, byte[] zipBytes, string archive, string staging)
    {
        ZipArchive zip;
        try { zip = new ZipArchive(new MemoryStream(zipBytes), ZipArchiveMode.Read); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{archive}: not a valid zip archive ({e.Message})", e); }
        using (zip)
        {
            string prefix = task.FolderName + "/";
            string root = Path.GetFullPath(staging) + Path.DirectorySeparatorChar;
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.StartsWith(prefix, StringComparison.Ordinal) || entry.FullName.EndsWith('/')) continue;
                string destination = Path.GetFullPath(Path.Combine(staging, entry.FullName[prefix.Length..]));
                if (!destination.StartsWith(root, StringComparison.Ordinal))
                    throw new InvalidDataException($"{archive}: entry \"{entry.FullName}\" points outside the task folder; refusing to unpack");
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                try { entry.ExtractToFile(destination); }
                catch (InvalidDataException e) { throw new InvalidDataException($"{archive}: entry {entry.FullName} is corrupt ({e.Message})", e); }
            }
        }
    }

    private void FormatMrpc(string staging, IProgress<GlueDownloadProgress>? progress, CancellationToken cancellation)
    {
        string Text(string file) => MrpcFormatter.Decode(Fetch(file, progress, cancellation), file);
        MrpcFormatter.Format(Text(GlueArchives.MrpcTrainFile), Text(GlueArchives.MrpcTestFile), Text(GlueArchives.MrpcDevIdsFile), staging);
    }

    /// <summary>Renames the staged folder into place; an existing folder (with <see cref="GlueDownloadOptions.Force"/>) is moved aside first and deleted after.</summary>
    private static void Replace(string target, string staging)
    {
        string? old = Directory.Exists(target) ? target + $".old-{Guid.NewGuid():N}" : null;
        if (old is not null) Directory.Move(target, old);
        Directory.Move(staging, target);
        if (old is not null) Directory.Delete(old, recursive: true);
    }
}
