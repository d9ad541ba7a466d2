using DpBert.Training;
using static DpBert.Tests.CliRun;

namespace DpBert.Tests.Cli;

/// <summary>
/// Bad input found in a review of the command line: each gets one line that names the flag, file or value at fault, exit
/// code 1, and leaves nothing behind; none of them reaches a stack trace or a long run first.
/// </summary>
public class CliInputErrorTests
{
    private static string GlueDir => Path.Combine(GoldenFiles.SharedFolder, "glue");
    private static string TinyModel => GoldenFiles.TinyModelFolder;

    [Fact]
    public void A_lone_surrogate_in_a_json_lines_input_names_the_file_and_line()
    {
        using var temp = new TempFolder();
        string input = Path.Combine(temp.Path, "w.jsonl");
        File.WriteAllText(input, "{\"text\": \"fine\"}\n{\"text\": \"\\ud800\"}\n");
        var (code, _, stderr) = Run("predict", "--model", TinyModel, "--input", input);
        Assert.Equal(1, code);
        Assert.Contains($"{input}:2: \"text\" is not valid UTF-16 text", stderr);

        File.WriteAllText(input, "\n\n");
        (code, _, stderr) = Run("predict", "--model", TinyModel, "--input", input);
        Assert.Equal(1, code);
        Assert.Contains($"{input}: no inputs", stderr);
    }

    [Theory]
    [InlineData(new[] { "download", "glue", "--tasks", "sst2", "--base-url", "notaurl" }, "GLUE base URL \"notaurl\" is not an absolute http:// or https:// URL")]
    [InlineData(new[] { "download", "model", "org/model", "--endpoint", "notaurl" }, "hub endpoint \"notaurl\" (--endpoint, or HF_ENDPOINT) is not an absolute http:// or https:// URL")]
    public void A_malformed_url_is_named(string[] args, string message)
    {
        using var temp = new TempFolder();
        string[] where = args[1] == "glue" ? ["--output", temp.Path] : ["--cache-dir", temp.Path];
        var (code, _, stderr) = Run([.. args, .. where]);
        Assert.Equal(1, code);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void A_model_given_as_one_of_its_files_names_the_folder_to_give()
    {
        string weights = Path.Combine(TinyModel, "model.safetensors");
        var (code, _, stderr) = Run("predict", "--model", weights, "hello");
        Assert.Equal(1, code);
        Assert.Contains($"{weights} is a file; give the model's folder ({TinyModel})", stderr);
    }

    [Fact]
    public void Download_model_refuses_a_local_folder()
    {
        var (code, stdout, stderr) = Run("download", "model", TinyModel);
        Assert.Equal(1, code);
        Assert.Contains("is a local folder; download model takes a Hugging Face model id", stderr);
        Assert.Equal("", stdout);
    }

    [Theory]
    [InlineData("plan")]
    [InlineData("exits")]
    public void An_empty_evaluation_set_is_refused_before_training(string command)
    {
        using var temp = new TempFolder();
        string output = Path.Combine(temp.Path, "out");
        string[] method = command == "exits" ? ["--method", "deebert"] : [];
        var (code, _, stderr) = Run([command, .. method, "--task", "sst2", "--model", TinyModel, "--data-dir", GlueDir, "--output", output,
            "--max-eval-samples", "0", "--max-steps", "1"]);
        Assert.Equal(1, code);
        Assert.Contains("--max-eval-samples 0: must be at least 1", stderr);
        Assert.False(Directory.Exists(output));

        (code, _, stderr) = Run([command, .. method, "--task", "sst2", "--model", TinyModel, "--data-dir", GlueDir, "--output", output, "--max-steps", "0"]);
        Assert.Equal(1, code);
        Assert.Contains("--max-steps 0 must be positive, or -1 for epochs", stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Oracle_plans_without_the_oracle_term_are_refused()
    {
        using var temp = new TempFolder();
        var (code, _, stderr) = Run("plan", "--task", "sst2", "--model", TinyModel, "--data-dir", GlueDir, "--output", Path.Combine(temp.Path, "plan"),
            "--oracle-plans", Path.Combine(temp.Path, "plans.jsonl"));
        Assert.Equal(1, code);
        Assert.Contains("give --oracle-weight W > 0 as well", stderr);
    }

    [Fact]
    public void Oracle_names_the_flag_at_fault()
    {
        using var temp = new TempFolder();
        string output = Path.Combine(temp.Path, "oracle");
        var (code, _, stderr) = Run("oracle", "--task", "sst2", "--model", TinyModel, "--data-dir", GlueDir, "--output", output, "--batch-size", "0");
        Assert.Equal(1, code);
        Assert.Contains("--batch-size 0: must be at least 1", stderr);
        (code, _, stderr) = Run("oracle", "--task", "sst2", "--model", TinyModel, "--data-dir", GlueDir, "--output", output, "--always-run-layers", "6", "--max-eval-samples", "4");
        Assert.Equal(1, code);
        Assert.Contains("--always-run-layers 6", stderr);
        Assert.DoesNotContain("--margin", stderr);
        Assert.DoesNotContain("(Parameter", stderr);
        Assert.False(File.Exists(Path.Combine(output, "oracle_plans.jsonl")));
    }

    [Fact]
    public void Knobs_that_measure_nothing_are_named()
    {
        using var temp = new TempFolder();
        string[] quick = ["--task", "sst2", "--model", TinyModel, "--data-dir", GlueDir, "--max-eval-samples", "8", "--batch1-inputs", "2",
            "--warmup", "1", "--warmup-ms", "0", "--batch-size", "4", "--output", temp.Path];
        var (code, _, stderr) = Run(["tradeoff", .. quick, "--methods", "full,static", "--depths", ","]);
        Assert.Equal(1, code);
        Assert.Contains("static knobs \",\": give at least one value", stderr);

        (code, _, stderr) = Run(["evaluate", .. quick, "--methods", "full", "--theta", "0.3"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("note: --theta is ignored: --methods has no dpbert", stderr);
    }

    [Theory]
    [InlineData("evaluate")]
    [InlineData("oracle")]
    [InlineData("plan")]
    public void A_model_whose_head_does_not_fit_the_task_is_refused(string command)
    {
        using var temp = new TempFolder();
        string[] methods = command == "evaluate" ? ["--methods", "full"] : [];
        var (code, _, stderr) = Run([command, .. methods, "--task", "stsb", "--model", TinyModel, "--data-dir", GlueDir, "--output", Path.Combine(temp.Path, "out"), "--max-eval-samples", "4"]);
        Assert.Equal(1, code);
        Assert.Contains($"{TinyModel} has 2 labels; stsb needs a regression score (1 output)", stderr);
    }

    [Fact]
    public void Evaluating_on_a_test_split_says_it_has_no_labels()
    {
        var (code, _, stderr) = Run("evaluate", "--task", "sst2", "--model", TinyModel, "--data-dir", GlueDir, "--methods", "full", "--split", "test");
        Assert.Equal(1, code);
        Assert.Contains("--split test: GLUE's test files have no labels to score against", stderr);
    }

    [Fact]
    public void Output_paths_of_the_wrong_kind_are_refused_before_the_work()
    {
        using var temp = new TempFolder();
        string file = Path.Combine(temp.Path, "a-file.txt");
        File.WriteAllText(file, "x");
        var (code, _, stderr) = Run("tradeoff", "--task", "sst2", "--model", TinyModel, "--data-dir", GlueDir, "--methods", "full,static", "--html", temp.Path);
        Assert.Equal(1, code);
        Assert.Contains($"--html {temp.Path}: is a folder; give a file name", stderr);
        (code, _, stderr) = Run("evaluate", "--task", "sst2", "--model", TinyModel, "--data-dir", GlueDir, "--methods", "full", "--output", file);
        Assert.Equal(1, code);
        Assert.Contains($"--output {file}: is a file; give a folder", stderr);
        (code, _, stderr) = Run("plan", "--task", "sst2", "--model", TinyModel, "--data-dir", GlueDir, "--output", TinyModel);
        Assert.Equal(1, code);
        Assert.Contains("is the input model's folder", stderr);
    }

    [Fact]
    public void A_run_that_fails_before_its_first_step_keeps_the_previous_training_log()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, TrainingLog.FileName);
        File.WriteAllText(path, "{\"step\":1}\n");
        using (new TrainingLog(path, replace: true)) { }
        Assert.Equal("{\"step\":1}\n", File.ReadAllText(path));
        using (var log = new TrainingLog(path, replace: true)) log.Step(1, 0.5, 0.7, 1e-4, 1.0);
        var records = TrainingLog.Read(path);
        Assert.Single(records);
        Assert.Equal(0.7, records[0]["loss"].GetDouble());
        using (var log = new TrainingLog(path)) log.Step(2, 1.0, 0.6, 1e-4, 1.0);
        Assert.Equal(2, TrainingLog.Read(path).Count);
    }
}
