using System.Net;
using System.Text;
using DpBert.Checkpoints;

namespace DpBert.Tests.Checkpoints;

public sealed class HubClientTests : IDisposable
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private readonly TempFolder _temp = new();
    private readonly FakeHubServer _server = new();
    private readonly byte[] _config = Encoding.UTF8.GetBytes("{\"model_type\": \"bert\"}\n");
    private readonly byte[] _weights = RandomBytes(300_000, seed: 1);

    public HubClientTests() =>
        _server.AddRepo("org/tiny", Commit, new Dictionary<string, byte[]> { ["config.json"] = _config, ["model.safetensors"] = _weights, ["sub/notes.txt"] = [1, 2, 3] }, ["model.safetensors"]);

    public void Dispose()
    {
        _server.Dispose();
        _temp.Dispose();
    }

    private string Cache => _temp.File("hub");

    private string RepoFolder => Path.Combine(Cache, "models--org--tiny");

    private HubClient Client(bool offline = false, string? token = null, string? endpoint = null, int attempts = 5, bool symlinks = true) =>
        new(new HubOptions { Endpoint = endpoint ?? _server.Endpoint, CacheDirectory = Cache, Offline = offline, Token = token, MaxAttempts = attempts, UseSymlinks = symlinks });

    private IEnumerable<string> Arrivals() => _server.Requests.Where(r => !r.StartsWith("DONE ", StringComparison.Ordinal));

    internal static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Every cached file is complete and verified, or absent: no partial files, every blob's name is its hash.</summary>
    internal static void AssertCacheConsistent(string cache)
    {
        if (!Directory.Exists(cache)) return;
        Assert.Empty(Directory.EnumerateFiles(cache, "*.incomplete", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(cache, "*.tmp", SearchOption.AllDirectories));
        foreach (string blob in Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == "blobs"))
        {
            var bytes = File.ReadAllBytes(blob);
            string name = Path.GetFileName(blob);
            Assert.True(name == FakeHubServer.Sha256(bytes) || name == FakeHubServer.GitBlobSha1(bytes), $"blob {blob} does not match its name");
        }
    }

    [Fact]
    public void EnvironmentDecidesEndpointCacheTokenAndOfflineAsHuggingFaceHubDoes()
    {
        HubOptions With(params (string Name, string Value)[] variables) =>
            HubOptions.FromVariables(name => variables.FirstOrDefault(v => v.Name == name).Value, "/home/u");

        var defaults = With();
        Assert.Equal("https://huggingface.co", defaults.Endpoint);
        Assert.Equal("/home/u/.cache/huggingface/hub", defaults.CacheDirectory);
        Assert.Null(defaults.Token);
        Assert.False(defaults.Offline);
        Assert.Equal("/x/hub", With(("XDG_CACHE_HOME", "/x/")).CacheDirectory.Replace("huggingface/", "", StringComparison.Ordinal));
        Assert.Equal("/hf/hub", With(("HF_HOME", "/hf"), ("XDG_CACHE_HOME", "/x")).CacheDirectory);
        Assert.Equal("/cache", With(("HF_HUB_CACHE", "/cache"), ("HF_HOME", "/hf")).CacheDirectory);
        Assert.Equal("http://mirror:8080", With(("HF_ENDPOINT", "http://mirror:8080/")).Endpoint);
        Assert.Equal("hf_abc", With(("HF_TOKEN", "hf_abc")).Token);
        foreach (string yes in new[] { "1", "true", "ON", "yes" }) Assert.True(With(("HF_HUB_OFFLINE", yes)).Offline);
        foreach (string no in new[] { "0", "false", "" }) Assert.False(With(("HF_HUB_OFFLINE", no)).Offline);
        Assert.Equal(TimeSpan.FromSeconds(10), defaults.DownloadTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2.5), With(("HF_HUB_DOWNLOAD_TIMEOUT", "2.5")).DownloadTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), With(("HF_HUB_ETAG_TIMEOUT", "30")).MetadataTimeout);
    }

    [Fact]
    public void DownloadsIntoTheHuggingFaceCacheLayoutWithRelativeSymlinks()
    {
        using var client = Client();
        var progress = new List<HubDownloadProgress>();
        string weights = client.Download("org/tiny", "model.safetensors", progress: new SynchronousProgress<HubDownloadProgress>(progress.Add))!;
        string config = client.Download("org/tiny", "config.json");
        string nested = client.Download("org/tiny", "sub/notes.txt");

        string sha256 = FakeHubServer.Sha256(_weights), sha1 = FakeHubServer.GitBlobSha1(_config);
        Assert.Equal(Path.Combine(RepoFolder, "snapshots", Commit, "model.safetensors"), weights);
        Assert.Equal(Commit, File.ReadAllText(Path.Combine(RepoFolder, "refs", "main")));
        Assert.Equal("../../blobs/" + sha256, new FileInfo(weights).LinkTarget);
        Assert.Equal("../../blobs/" + sha1, new FileInfo(config).LinkTarget);
        Assert.Equal("../../../blobs/" + FakeHubServer.GitBlobSha1([1, 2, 3]), new FileInfo(nested).LinkTarget);
        Assert.Equal(_weights, File.ReadAllBytes(weights));
        Assert.Equal(_config, File.ReadAllBytes(config));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(nested));
        Assert.True(File.Exists(Path.Combine(Cache, ".locks", "models--org--tiny", sha256 + ".lock")));
        Assert.Equal(_weights.Length, progress[^1].BytesDone);
        Assert.All(progress, p => Assert.Equal(_weights.Length, p.TotalBytes));

        // HEAD then GET, the LFS file from the CDN URL the redirect named.
        Assert.Equal(["HEAD /org/tiny/resolve/main/model.safetensors", $"GET /cdn/{sha256}"], Arrivals().Take(2));
        AssertCacheConsistent(Cache);

        // A second call only asks for the metadata.
        int before = Arrivals().Count();
        Assert.Equal(weights, client.Download("org/tiny", "model.safetensors"));
        Assert.Equal(["HEAD /org/tiny/resolve/main/model.safetensors"], Arrivals().Skip(before));
    }

    [Fact]
    public void DeletedBlobIsFetchedAgainAndOfflineSaysItIsMissing()
    {
        using var client = Client();
        string weights = client.Download("org/tiny", "model.safetensors");
        File.Delete(Path.Combine(RepoFolder, "blobs", FakeHubServer.Sha256(_weights)));
        using (var offline = Client(offline: true))
            Assert.Throws<FileNotFoundException>(() => offline.Download("org/tiny", "model.safetensors"));
        Assert.Equal(weights, client.Download("org/tiny", "model.safetensors"));
        Assert.Equal(_weights, File.ReadAllBytes(weights));
        Assert.Equal(2, _server.CountRequests("GET /cdn/"));
    }

    [Fact]
    public void RenamedRepositoryRedirectIsFollowed()
    {
        _server.Renamed["old-org/tiny"] = "org/tiny";
        using var client = Client();
        string path = client.Download("old-org/tiny", "model.safetensors");
        Assert.Equal(_weights, File.ReadAllBytes(path));
        Assert.Contains("HEAD /org/tiny/resolve/main/model.safetensors", _server.Requests);
        Assert.StartsWith(Path.Combine(Cache, "models--old-org--tiny"), path, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsAbsentAndRecordedInNoExist()
    {
        using (var client = Client())
        {
            Assert.Null(client.TryDownload("org/tiny", "pytorch_model.bin"));
            var error = Assert.Throws<FileNotFoundException>(() => client.Download("org/tiny", "pytorch_model.bin"));
            Assert.Contains("org/tiny: the repository has no file pytorch_model.bin", error.Message, StringComparison.Ordinal);
        }
        Assert.True(File.Exists(Path.Combine(RepoFolder, ".no_exist", Commit, "pytorch_model.bin")));
        using var offline = Client(offline: true);
        Assert.Null(offline.TryDownload("org/tiny", "pytorch_model.bin"));
    }

    [Fact]
    public void PrivateRepositoryNeedsTheToken()
    {
        _server.AddRepo("org/private", Commit, new Dictionary<string, byte[]> { ["config.json"] = _config }, [], token: "hf_secret");
        using (var anonymous = Client())
        {
            var error = Assert.Throws<HubException>(() => anonymous.Download("org/private", "config.json"));
            Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
            Assert.Contains("set HF_TOKEN", error.Message, StringComparison.Ordinal);
        }
        using (var wrong = Client(token: "hf_wrong"))
            Assert.Contains("the token in HF_TOKEN may not read it", Assert.Throws<HubException>(() => wrong.Download("org/private", "config.json")).Message, StringComparison.Ordinal);
        using var authorized = Client(token: "hf_secret");
        Assert.Equal(_config, File.ReadAllBytes(authorized.Download("org/private", "config.json")));
        AssertCacheConsistent(Cache);
    }

    [Fact]
    public void UnknownRepositoryAndRevisionAreErrors()
    {
        using var client = Client();
        Assert.Equal(HttpStatusCode.Unauthorized, Assert.Throws<HubException>(() => client.Download("nobody/nothing", "config.json")).StatusCode);
        var error = Assert.Throws<HubException>(() => client.Download("org/tiny", "config.json", revision: "v9"));
        Assert.Contains("no revision v9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PathsOutsideTheCacheAreRefused()
    {
        using var client = Client();
        Assert.Throws<ArgumentException>(() => client.Download("org/tiny", "../../etc/passwd"));
        Assert.Throws<ArgumentException>(() => client.Download("org/tiny", "/etc/passwd"));
        Assert.Throws<ArgumentException>(() => client.Download("org/tiny", "config.json", revision: "../../x"));
        Assert.Throws<ArgumentException>(() => client.Download("../org", "config.json"));
    }

    [Fact]
    public void ConnectionCutHalfwayIsResumedWithRangeToTheExactFile()
    {
        _server.CutBlob(_weights, _weights.Length / 2);
        using var client = Client();
        string path = client.Download("org/tiny", "model.safetensors");
        Assert.Equal(_weights, File.ReadAllBytes(path));
        string sha = FakeHubServer.Sha256(_weights);
        var gets = Arrivals().Where(r => r.StartsWith("GET /cdn/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, gets.Count);
        Assert.Matches($"^GET /cdn/{sha} bytes=[1-9][0-9]*-$", gets[1]);
        AssertCacheConsistent(Cache);
    }

    [Fact]
    public void ConnectionCutOnEveryAttemptFailsWithoutCachingAndTheNextRunResumes()
    {
        _server.CutBlob(_weights, 50_000, times: 2);
        string sha = FakeHubServer.Sha256(_weights);
        using (var client = Client(attempts: 2))
        {
            var error = Assert.Throws<HubException>(() => client.Download("org/tiny", "model.safetensors"));
            Assert.Contains("download failed after 2 attempts", error.Message, StringComparison.Ordinal);
            Assert.Contains("100000 bytes kept", error.Message, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(Path.Combine(RepoFolder, "blobs", sha)));
        Assert.False(Directory.Exists(Path.Combine(RepoFolder, "snapshots")));

        using var again = Client();
        Assert.Equal(_weights, File.ReadAllBytes(again.Download("org/tiny", "model.safetensors")));
        Assert.Contains($"GET /cdn/{sha} bytes=100000-", _server.Requests);
        AssertCacheConsistent(Cache);
    }

    [Fact]
    public void StalledConnectionTimesOutAndIsResumed()
    {
        // The server sends one 64 KiB chunk, then stalls for a second; the client gives up after 200 ms and resumes.
        _server.BlobChunkDelay = TimeSpan.FromSeconds(1);
        using var client = new HubClient(new HubOptions
        {
            Endpoint = _server.Endpoint, CacheDirectory = Cache, DownloadTimeout = TimeSpan.FromMilliseconds(200), MaxAttempts = 10,
        });
        Assert.Equal(_weights, File.ReadAllBytes(client.Download("org/tiny", "model.safetensors")));
        Assert.Contains($"GET /cdn/{FakeHubServer.Sha256(_weights)} bytes=65536-", _server.Requests);
        AssertCacheConsistent(Cache);
    }

    [Fact]
    public void WithoutSymlinksSnapshotFilesAreCopies()
    {
        using var client = Client(symlinks: false);
        string weights = client.Download("org/tiny", "model.safetensors");
        Assert.Null(new FileInfo(weights).LinkTarget);
        Assert.Equal(_weights, File.ReadAllBytes(weights));
        Assert.Equal(_weights, File.ReadAllBytes(Path.Combine(RepoFolder, "blobs", FakeHubServer.Sha256(_weights))));
        AssertCacheConsistent(Cache);
    }

    [Fact]
    public void PartialFileOfAnEarlierRunIsResumed()
    {
        string sha = FakeHubServer.Sha256(_weights);
        Directory.CreateDirectory(Path.Combine(RepoFolder, "blobs"));
        File.WriteAllBytes(Path.Combine(RepoFolder, "blobs", sha + ".incomplete"), _weights[..100_000]);
        using var client = Client();
        Assert.Equal(_weights, File.ReadAllBytes(client.Download("org/tiny", "model.safetensors")));
        Assert.Contains($"GET /cdn/{sha} bytes=100000-", _server.Requests);
        AssertCacheConsistent(Cache);
    }

    [Fact]
    public void CorruptedBlobIsRejectedAndLeavesTheCacheUntouched()
    {
        _server.CorruptBlobs = true;
        using var client = Client();
        var error = Assert.Throws<InvalidDataException>(() => client.Download("org/tiny", "model.safetensors"));
        Assert.Contains($"does not match the hub's {FakeHubServer.Sha256(_weights)}", error.Message, StringComparison.Ordinal);
        Assert.Contains("discarded", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(RepoFolder, "blobs")));
        Assert.False(Directory.Exists(Path.Combine(RepoFolder, "snapshots")));
        AssertCacheConsistent(Cache);

        _server.CorruptBlobs = false;
        Assert.Equal(_weights, File.ReadAllBytes(client.Download("org/tiny", "model.safetensors")));
    }

    [Fact]
    public void OfflineServesTheCacheAndNamesWhatIsMissing()
    {
        using (var online = Client()) online.Download("org/tiny", "config.json");
        int before = _server.Requests.Count;
        using var offline = Client(offline: true);
        Assert.Equal(_config, File.ReadAllBytes(offline.Download("org/tiny", "config.json")));

        var missing = Assert.Throws<FileNotFoundException>(() => offline.Download("org/tiny", "model.safetensors"));
        Assert.Contains("HF_HUB_OFFLINE is set, and model.safetensors of org/tiny (commit " + Commit + ") is not cached", missing.Message, StringComparison.Ordinal);
        var never = Assert.Throws<FileNotFoundException>(() => offline.Download("org/other", "config.json"));
        Assert.Contains("revision main of org/other has never been downloaded", never.Message, StringComparison.Ordinal);
        Assert.Equal(before, _server.Requests.Count);
    }

    [Fact]
    public void UnreachableHubFallsBackToTheCache()
    {
        using (var online = Client()) online.Download("org/tiny", "config.json");
        var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        string deadEndpoint = $"http://127.0.0.1:{((IPEndPoint)closed.LocalEndpoint).Port}";
        closed.Stop();
        using var client = Client(endpoint: deadEndpoint);
        Assert.Equal(_config, File.ReadAllBytes(client.Download("org/tiny", "config.json")));
        var error = Assert.Throws<FileNotFoundException>(() => client.Download("org/tiny", "model.safetensors"));
        Assert.Contains("cannot be reached", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
