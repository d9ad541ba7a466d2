using System.Diagnostics;
using System.Text.Json;
using DpBert.Inference;
using DpBert.Tests.Checkpoints;

namespace DpBert.Tests.Cli;

/// <summary>The <c>dpbert</c> executable in child processes against the loopback hub: concurrent downloads and <c>--model ORG/NAME</c>.</summary>
public sealed class HubProcessTests : IDisposable
{
    private const string Commit = "aaaabbbbccccddddeeeeffff0000111122223333";
    private readonly TempFolder _temp = new();
    private readonly FakeHubServer _server = new();

    public void Dispose()
    {
        _server.Dispose();
        _temp.Dispose();
    }

    private string Cache => _temp.File("hub");

    private Process Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "DpBert.Cli.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return Process.Start(start)!;
    }

    private static (int Code, string Out, string Err) Finish(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3))) { process.Kill(); throw new TimeoutException("dpbert did not finish in 3 minutes"); }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void TwoProcessesDownloadingTheSameFileEndWithOneExactCopy()
    {
        var weights = HubClientTests.RandomBytes(6_000_000, seed: 7);
        _server.AddRepo("org/big", Commit, new Dictionary<string, byte[]>
        {
            ["config.json"] = File.ReadAllBytes(GoldenFiles.TinyConfig),
            ["vocab.txt"] = File.ReadAllBytes(Path.Combine(GoldenFiles.TinyModelFolder, "vocab.txt")),
            ["model.safetensors"] = weights,
        }, ["model.safetensors"]);
        _server.BlobChunkDelay = TimeSpan.FromMilliseconds(30); // about 3 s for the blob, so the two overlap

        var none = new Dictionary<string, string>();
        string[] args = ["download", "model", "org/big", "--cache-dir", Cache, "--endpoint", _server.Endpoint];
        using var first = Start(none, args);
        using var second = Start(none, args);
        var a = Finish(first);
        var b = Finish(second);
        Assert.True(a.Code == 0, a.Err);
        Assert.True(b.Code == 0, b.Err);
        string folder = Path.Combine(Cache, "models--org--big", "snapshots", Commit);
        Assert.Equal(folder, a.Out.Trim());
        Assert.Equal(folder, b.Out.Trim());
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(folder, "model.safetensors")));
        Assert.Equal(1, _server.CountRequests($"GET /cdn/{FakeHubServer.Sha256(weights)}"));
        Assert.Equal(2, _server.CountRequests("HEAD /org/big/resolve/main/model.safetensors"));
        // Both asked for the file before the one download finished: the second waited on the lock instead of fetching.
        string finished = $"DONE GET /cdn/{FakeHubServer.Sha256(weights)}";
        Assert.True(_server.WaitForRequest(finished, TimeSpan.FromSeconds(30)), "the server never logged the end of the download");
        var log = _server.Requests.ToList();
        int done = log.IndexOf(finished);
        Assert.Equal(2, log.Take(done).Count(r => r == "HEAD /org/big/resolve/main/model.safetensors"));
        HubClientTests.AssertCacheConsistent(Cache);
    }

    [Fact]
    public void PredictTakesAHubModelIdThroughTheEnvironmentAndThenWorksOffline()
    {
        string golden = GoldenFiles.TinyModelFolder;
        _server.AddRepo("org/tiny-a", Commit, new Dictionary<string, byte[]>
        {
            ["config.json"] = File.ReadAllBytes(Path.Combine(golden, "config.json")),
            ["vocab.txt"] = File.ReadAllBytes(Path.Combine(golden, "vocab.txt")),
            ["tokenizer_config.json"] = File.ReadAllBytes(Path.Combine(golden, "tokenizer_config.json")),
            ["pytorch_model.bin"] = File.ReadAllBytes(Path.Combine(golden, "pytorch_model.bin")),
        }, ["pytorch_model.bin"]);
        var environment = new Dictionary<string, string> { ["HF_ENDPOINT"] = _server.Endpoint, ["HF_HUB_CACHE"] = Cache };
        var expected = TextClassifier.Load(golden).Predict("a man is playing a guitar").Logits;

        var online = Finish(Start(environment, "predict", "--model", "org/tiny-a", "--json", "a man is playing a guitar"));
        Assert.True(online.Code == 0, online.Err);
        Assert.Equal(expected, Logits(online.Out));

        int requests = _server.Requests.Count;
        var offline = Finish(Start(new Dictionary<string, string>(environment) { ["HF_HUB_OFFLINE"] = "1" }, "predict", "--model", "org/tiny-a", "--json", "a man is playing a guitar"));
        Assert.True(offline.Code == 0, offline.Err);
        Assert.Equal(expected, Logits(offline.Out));
        Assert.Equal(requests, _server.Requests.Count);

        var missing = Finish(Start(new Dictionary<string, string>(environment) { ["HF_HUB_OFFLINE"] = "1" }, "predict", "--model", "org/never-downloaded", "x"));
        Assert.Equal(1, missing.Code);
        Assert.Contains("HF_HUB_OFFLINE is set, and revision main of org/never-downloaded has never been downloaded", missing.Err, StringComparison.Ordinal);
    }

    private static float[] Logits(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
    }
}
