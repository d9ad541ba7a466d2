using System.IO.Compression;
using System.Text;
using DpBert.Cli;
using DpBert.Tests.Checkpoints;
using DpBert.Tests.Glue;

namespace DpBert.Tests.Cli;

/// <summary><c>dpbert download glue</c> against a loopback server serving archives the tests build.</summary>
public sealed class DownloadGlueCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly FakeHubServer _server = new();

    public void Dispose()
    {
        _server.Dispose();
        _temp.Dispose();
    }

    private string Output => _temp.File("glue");

    private string BaseUrl => _server.Endpoint + "/files";

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(["download", "glue", "--output", Output, "--base-url", BaseUrl, .. args], output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>A task zip as the official ones are laid out: everything under the task folder, plus extras.</summary>
    private static byte[] Zip(params (string Name, byte[] Content)[] entries)
    {
        var bytes = new MemoryStream();
        using (var zip = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(content);
            }
        return bytes.ToArray();
    }

    private static byte[] Shared(string task, string file) => File.ReadAllBytes(Path.Combine(SharedGlueData.Folder, task, file));

    private void ServeSst2AndRte()
    {
        _server.Files["SST-2.zip"] = Zip(("SST-2/train.tsv", Shared("SST-2", "train.tsv")), ("SST-2/dev.tsv", Shared("SST-2", "dev.tsv")),
            ("SST-2/test.tsv", Shared("SST-2", "test.tsv")), ("SST-2/original/README.txt", "extra"u8.ToArray()));
        _server.Files["RTE.zip"] = Zip(("RTE/train.tsv", Shared("RTE", "train.tsv")), ("RTE/dev.tsv", Shared("RTE", "dev.tsv")), ("RTE/test.tsv", Shared("RTE", "test.tsv")));
    }

    private void AssertNoStagingLeft() =>
        Assert.Empty(Directory.Exists(Output) ? Directory.EnumerateFileSystemEntries(Output, ".*") : []);

    [Fact]
    public void DownloadsAndUnpacksIntoTheGlueDataLayout()
    {
        ServeSst2AndRte();
        var (code, stdout, stderr) = Run("--tasks", "sst2,rte");
        Assert.True(code == 0, stderr);
        Assert.Equal(Shared("SST-2", "train.tsv"), File.ReadAllBytes(Path.Combine(Output, "SST-2", "train.tsv")));
        Assert.Equal(Shared("RTE", "dev.tsv"), File.ReadAllBytes(Path.Combine(Output, "RTE", "dev.tsv")));
        Assert.True(File.Exists(Path.Combine(Output, "SST-2", "original", "README.txt")));
        Assert.Contains($"sst2: {Path.Combine(Output, "SST-2")}", stdout, StringComparison.Ordinal);
        Assert.Contains($"--data-dir {Output}", stdout, StringComparison.Ordinal);
        AssertNoStagingLeft();

        // The data loads as the shared copy does.
        var dev = DpBert.Glue.GlueDataset.Load(DpBert.Glue.GlueTask.Sst2, "dev", Output);
        Assert.Equal(SharedGlueData.Load(DpBert.Glue.GlueTask.Sst2, "dev").Count, dev.Count);

        // A second run keeps what is there unless --force.
        (code, stdout, _) = Run("--tasks", "sst2");
        Assert.Equal(0, code);
        Assert.Contains("already present", stdout, StringComparison.Ordinal);
        Assert.Equal(2, _server.CountRequests("GET /files/"));
        (code, _, _) = Run("--tasks", "sst2", "--force");
        Assert.Equal(0, code);
        Assert.Equal(3, _server.CountRequests("GET /files/"));
        AssertNoStagingLeft();
    }

    [Fact]
    public void MrpcIsBuiltFromTheSentEvalFilesByteForByteAsTheOfficialScriptDoes()
    {
        // The raw inputs, rebuilt from the official outputs: the training file holds train and dev rows (CRLF line ends, BOM header).
        string[] train = Encoding.UTF8.GetString(Shared("MRPC", "train.tsv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] dev = Encoding.UTF8.GetString(Shared("MRPC", "dev.tsv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] test = Encoding.UTF8.GetString(Shared("MRPC", "test.tsv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("\uFEFFQuality", train[0], StringComparison.Ordinal);
        string rawTrain = string.Join("\r\n", train.Concat(dev.Skip(1))) + "\r\n";
        string rawTest = "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\r\n" +
            string.Concat(test.Skip(1).Select(l => "1\t" + l[(l.IndexOf('\t', StringComparison.Ordinal) + 1)..] + "\r\n"));
        string devIds = string.Concat(dev.Skip(1).Select(l => string.Join('\t', l.Split('\t')[1..3]) + "\n"));
        _server.Files["msr_paraphrase_train.txt"] = Encoding.UTF8.GetBytes(rawTrain);
        _server.Files["msr_paraphrase_test.txt"] = Encoding.UTF8.GetBytes(rawTest);
        _server.Files["mrpc_dev_ids.tsv"] = Encoding.UTF8.GetBytes(devIds);

        var (code, _, stderr) = Run("--tasks", "mrpc");
        Assert.True(code == 0, stderr);
        foreach (string file in new[] { "train.tsv", "dev.tsv", "test.tsv" })
            Assert.True(Shared("MRPC", file).SequenceEqual(File.ReadAllBytes(Path.Combine(Output, "MRPC", file))), $"MRPC/{file} differs from the official file");
    }

    [Fact]
    public void CorruptArchiveIsRejectedAndNothingIsUnpacked()
    {
        ServeSst2AndRte();
        _server.Files["RTE.zip"] = _server.Files["RTE.zip"][..1000];
        var (code, _, stderr) = Run("--tasks", "sst2,rte");
        Assert.Equal(1, code);
        Assert.Contains("RTE.zip: not a valid zip archive", stderr, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(Output, "SST-2")));
        Assert.False(Directory.Exists(Path.Combine(Output, "RTE")));
        AssertNoStagingLeft();
    }

    [Fact]
    public void ArchiveWithoutTheDevFileIsRejected()
    {
        _server.Files["RTE.zip"] = Zip(("RTE/train.tsv", Shared("RTE", "train.tsv")));
        var (code, _, stderr) = Run("--tasks", "rte");
        Assert.Equal(1, code);
        Assert.Contains("GLUE rte: the download has no RTE/dev.tsv", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Output, "RTE")));
        AssertNoStagingLeft();
    }

    [Fact]
    public void ShaMismatchAndMissingFileAndBadTaskAreErrors()
    {
        ServeSst2AndRte();
        var (code, _, stderr) = Run("--tasks", "rte", "--sha256", "RTE.zip=" + new string('0', 64));
        Assert.Equal(1, code);
        Assert.Contains($"does not match the expected {new string('0', 64)}", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Output, "RTE")));

        (code, _, stderr) = Run("--tasks", "rte", "--sha256", "RTE.zip=" + FakeHubServer.Sha256(_server.Files["RTE.zip"]));
        Assert.True(code == 0, stderr);

        (code, _, stderr) = Run("--tasks", "cola");
        Assert.Equal(1, code);
        Assert.Contains("/files/CoLA.zip: 404", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run("--tasks", "sst3");
        Assert.Equal(1, code);
        Assert.Contains("unknown GLUE task 'sst3'", stderr, StringComparison.Ordinal);
        AssertNoStagingLeft();
    }

    [Fact]
    public void CommandsWithoutDataSayHowToDownloadIt()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(["finetune", "--task", "rte", "--data-dir", _temp.File("nothing-here")], output, error);
        Assert.Equal(1, code);
        Assert.Contains("dpbert download glue --tasks", error.ToString(), StringComparison.Ordinal);
    }
}
