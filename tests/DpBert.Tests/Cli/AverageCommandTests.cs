using System.Text.Json;
using DpBert.Checkpoints;
using static DpBert.Tests.CliRun;

namespace DpBert.Tests.Cli;

/// <summary><c>dpbert average</c> on two tiny models fine-tuned here (bert-tiny, two seeds).</summary>
public class AverageCommandTests
{
    private static string GlueDir => Path.Combine(GoldenFiles.SharedFolder, "glue");

    [Fact]
    public void A_greedy_soup_is_chosen_on_the_held_out_rows_and_written_as_a_model_folder()
    {
        using var temp = new TempFolder();
        string a = FineTune(temp, "a", seed: 1), b = FineTune(temp, "b", seed: 2), soup = Path.Combine(temp.Path, "soup");

        var (code, stdout, stderr) = Run("average", "--models", $"{a},{b}", "--output", soup, "--task", "sst2", "--data-dir", GlueDir,
            "--held-out", "24", "--greedy", "--max-seq-length", "32");

        Assert.True(code == 0, stderr);
        Assert.Matches(@"\| soup of [12] +\| +[01]\.\d{4} \|", stdout);
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(soup, "soup.json")));
        Assert.Equal("greedy", record.RootElement.GetProperty("method").GetString());
        var kept = record.RootElement.GetProperty("kept").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains($"averaged {kept.Count} of 2 models", stdout);
        // The folder holds the mean of the models kept, and predict reads it.
        var expected = kept.Select(k => ModelFolder.LoadSequenceClassifier(k).Model.Parameters.Data).ToList();
        var written = ModelFolder.LoadSequenceClassifier(soup).Model.Parameters.Data;
        for (int i = 0; i < written.Length; i += 97) Assert.Equal((float)(expected.Sum(d => (double)d[i]) / expected.Count), written[i]);
        (code, stdout, stderr) = Run("predict", "--model", soup, "--json", "a gorgeous , witty , seductive movie .");
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public void Bad_requests_are_clear_errors_and_write_nothing()
    {
        using var temp = new TempFolder();
        string a = FineTune(temp, "a", seed: 1), soup = Path.Combine(temp.Path, "soup");

        var (code, _, stderr) = Run("average", "--models", $"{a},{GoldenFiles.TinyModelFolder}", "--output", soup);
        Assert.Equal(1, code);
        Assert.Contains("cannot be averaged with", stderr);

        (code, _, stderr) = Run("average", "--models", a, "--output", soup, "--greedy", "--task", "sst2");
        Assert.Equal(1, code);
        Assert.Contains("--greedy needs --task and --held-out N", stderr);

        (code, _, stderr) = Run("average", "--models", $"{a},{a}", "--output", soup);
        Assert.Equal(1, code);
        Assert.Contains("a folder is named twice", stderr);

        (code, _, stderr) = Run("average", "--models", $"{a},{Path.Combine(temp.Path, "missing")}", "--output", soup);
        Assert.Equal(1, code);
        Assert.Contains("missing", stderr);
        Assert.False(Directory.Exists(soup));
    }

    private static string FineTune(TempFolder temp, string name, int seed)
    {
        string run = Path.Combine(temp.Path, name);
        var (code, _, stderr) = Run("finetune", "--task", "sst2", "--model", "bert-tiny", "--vocab", Path.Combine(GoldenFiles.SharedFolder, "vocab", "bert-base-uncased", "vocab.txt"),
            "--data-dir", GlueDir, "--output", run, "--max-train-samples", "64", "--max-eval-samples", "32", "--max-steps", "2",
            "--max-seq-length", "32", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(code == 0, stderr);
        return run;
    }
}
