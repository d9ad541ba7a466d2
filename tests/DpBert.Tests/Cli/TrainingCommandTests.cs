using System.Text.Json;
using DpBert.Cli;
using DpBert.Training;
using static DpBert.Tests.CliRun;

namespace DpBert.Tests.Cli;

/// <summary><c>dpbert pretrain</c> and <c>dpbert finetune</c> end to end on small subsets of ../shared/glue.</summary>
public class TrainingCommandTests
{
    private static string GlueDir => Path.Combine(GoldenFiles.SharedFolder, "glue");
    private static string Vocab => Path.Combine(GoldenFiles.SharedFolder, "vocab", "bert-base-uncased", "vocab.txt");

    /// <summary>finetune of a new bert-tiny on 64 SST-2 rows for two steps, written to <paramref name="output"/>, with <paramref name="flags"/>.</summary>
    private static (int Code, string Stdout, string Stderr) FinetuneTinyTwoSteps(string output, params string[] flags) =>
        Run(["finetune", "--task", "sst2", "--model", "bert-tiny", "--vocab", Vocab, "--data-dir", GlueDir, "--output", output,
            "--max-train-samples", "64", "--max-eval-samples", "32", "--max-steps", "2", "--max-seq-length", "32", .. flags]);

    /// <summary>The step records of the run in <paramref name="folder"/> that hold <paramref name="key"/>.</summary>
    private static List<JsonElement> StepsWith(string folder, string key) =>
        File.ReadLines(Path.Combine(folder, "training_log.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.TryGetProperty(key, out _)).ToList();

    [Fact]
    public void Pretrain_then_finetune_runs_and_writes_a_loadable_model_and_log()
    {
        using var temp = new TempFolder();
        string pretrained = Path.Combine(temp.Path, "pretrained");
        var (code, stdout, stderr) = Run("pretrain", "--preset", "bert-tiny", "--data-dir", GlueDir, "--vocab", Vocab, "--output", pretrained,
            "--max-train-samples", "256", "--max-steps", "6", "--per-device-train-batch-size", "32", "--max-seq-length", "32");
        Assert.True(code == 0, stderr);
        Assert.Contains("pre-training finished: 6 steps", stdout);
        Assert.True(File.Exists(Path.Combine(pretrained, "model.safetensors")));

        string run = Path.Combine(temp.Path, "sst2");
        (code, stdout, stderr) = Run("finetune", "--task", "sst2", "--model", pretrained, "--data-dir", GlueDir, "--output", run,
            "--max-train-samples", "96", "--max-eval-samples", "64", "--num-train-epochs", "1", "--per-device-train-batch-size", "32",
            "--learning-rate", "1e-3", "--max-seq-length", "32");
        Assert.True(code == 0, stderr);
        Assert.Contains("initialised as Hugging Face does: bert.pooler.dense.weight, bert.pooler.dense.bias, classifier.weight, classifier.bias", stderr);
        Assert.Matches(@"\| dev \(best\) +\| +[01]\.\d{4} \|", stdout);
        var log = TrainingLog.Read(Path.Combine(run, TrainingLog.FileName));
        Assert.Equal(3, log.Count(r => r.ContainsKey("loss")));
        Assert.Single(log, r => r.ContainsKey("eval_accuracy"));
        // The fine-tuned folder works with predict.
        (code, stdout, stderr) = Run("predict", "--model", run, "--json", "a gorgeous , witty , seductive movie .");
        Assert.True(code == 0, stderr);
        Assert.Contains("\"label\":\"", stdout);
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval_results.json")));
        Assert.InRange(results.RootElement.GetProperty("eval_accuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public void Pretrain_continues_a_model_on_one_tasks_text_and_finetune_starts_from_it()
    {
        using var temp = new TempFolder();
        string adapted = Path.Combine(temp.Path, "adapted");
        var (code, stdout, stderr) = Run("pretrain", "--model", GoldenFiles.TinyModelFolder, "--corpus", "glue:rte", "--data-dir", GlueDir, "--output", adapted,
            "--max-train-samples", "64", "--max-steps", "3", "--per-device-train-batch-size", "16", "--max-seq-length", "80");
        Assert.True(code == 0, stderr);
        Assert.Contains("no masked-LM head in the checkpoint, initialised as Hugging Face does: cls.predictions.transform.dense.weight", stderr);
        // The golden model has 64 positions: the longer --max-seq-length is lowered, and run_mlm.py's learning rate is the default.
        Assert.Contains("--max-seq-length 80 is more than the model's 64 positions (max_position_embeddings): using 64", stderr);
        Assert.Contains("on 64 sentences (glue:rte), learning rate 0.00005", stderr);
        Assert.Contains("pre-training finished: 3 steps", stdout);
        // A model with no classifier is refused where one is needed, with the way out.
        (code, _, stderr) = Run("predict", "--model", adapted, "a sentence");
        Assert.Equal(1, code);
        Assert.Contains("model.safetensors: no classifier (classifier.weight): a pre-trained encoder, not a model fine-tuned on a task; " +
            $"fine-tune it first (dpbert finetune --task <task> --model {adapted})", stderr);
        // The adapted encoder starts a classifier; its masked-LM head is left out.
        string run = Path.Combine(temp.Path, "rte");
        (code, _, stderr) = Run("finetune", "--task", "rte", "--model", adapted, "--data-dir", GlueDir, "--output", run,
            "--max-train-samples", "32", "--max-eval-samples", "16", "--max-steps", "1", "--max-seq-length", "64");
        Assert.True(code == 0, stderr);
        Assert.Contains("initialised as Hugging Face does: bert.pooler.dense.weight, bert.pooler.dense.bias, classifier.weight, classifier.bias", stderr);

        (code, _, stderr) = Run("pretrain", "--model", GoldenFiles.TinyModelFolder, "--preset", "bert-tiny", "--output", adapted);
        Assert.Equal(1, code);
        Assert.Contains("--preset and --model: give one", stderr);
        (code, _, stderr) = Run("pretrain", "--model", GoldenFiles.TinyModelFolder, "--corpus", "glue:cola,nope", "--data-dir", GlueDir, "--output", adapted);
        Assert.Equal(1, code);
        Assert.Contains("--corpus glue:cola,nope: unknown GLUE task 'nope'", stderr);
        (code, _, stderr) = Run("pretrain", "--model", GoldenFiles.TinyModelFolder, "--vocab", Vocab, "--output", adapted);
        Assert.Equal(1, code);
        Assert.Contains("--vocab: a model continued with --model keeps its own vocabulary", stderr);
    }

    [Fact]
    public void Finetune_regression_task_reports_pearson_and_spearman()
    {
        using var temp = new TempFolder();
        var (code, stdout, stderr) = Run("finetune", "--task", "stsb", "--model", "bert-tiny", "--vocab", Vocab, "--data-dir", GlueDir,
            "--output", temp.Path, "--max-train-samples", "64", "--max-eval-samples", "48", "--max-steps", "2", "--max-seq-length", "48");
        Assert.True(code == 0, stderr);
        Assert.Contains("pearson", stdout);
        Assert.Contains("spearmanr", stdout);
        // predict --json gives a regression model's score, not a label and "probabilities".
        (code, stdout, stderr) = Run("predict", "--model", temp.Path, "--json", "a man plays", "a man is playing");
        Assert.True(code == 0, stderr);
        using var doc = System.Text.Json.JsonDocument.Parse(stdout);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, doc.RootElement.GetProperty("score").ValueKind);
        Assert.False(doc.RootElement.TryGetProperty("probabilities", out _));
        Assert.False(doc.RootElement.TryGetProperty("label", out _));
    }

    [Fact]
    public void Finetune_with_a_mean_pooler_keeps_it_in_the_model_folder()
    {
        using var temp = new TempFolder();
        var (code, _, stderr) = FinetuneTinyTwoSteps(temp.Path, "--pooler-input", "mean");
        Assert.True(code == 0, stderr);
        Assert.Contains("\"dpbert_pooler_input\": \"mean\"", File.ReadAllText(Path.Combine(temp.Path, "config.json")));
        Assert.Equal(DpBert.Bert.TokenPooling.Mean, DpBert.Checkpoints.ModelFolder.LoadSequenceClassifier(temp.Path).Model.Config.PoolerInput);

        // Resumed without the flag, the run keeps its pooler; with the other one, it is refused and the checkpoint kept.
        string checkpoint = Path.Combine(temp.Path, "checkpoint");
        string[] resume = ["finetune", "--task", "sst2", "--model", "bert-tiny", "--vocab", Vocab, "--data-dir", GlueDir, "--output", temp.Path,
            "--max-train-samples", "64", "--max-eval-samples", "32", "--max-steps", "3", "--max-seq-length", "32", "--resume-from-checkpoint", checkpoint];
        var before = File.ReadAllBytes(Path.Combine(checkpoint, "model.safetensors"));
        (code, _, stderr) = Run([.. resume, "--pooler-input", "cls"]);
        Assert.NotEqual(0, code);
        Assert.Contains("\"dpbert_pooler_input\"", stderr);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(checkpoint, "model.safetensors")));
        (code, _, stderr) = Run(resume);
        Assert.True(code == 0, stderr);
        Assert.Contains("\"dpbert_pooler_input\": \"mean\"", File.ReadAllText(Path.Combine(temp.Path, "config.json")));

        // Fine-tuning that folder again with the other pooler input says its pooler was trained reading the mean.
        string stdout;
        (code, stdout, stderr) = Run("finetune", "--task", "sst2", "--model", temp.Path, "--data-dir", GlueDir, "--output", Path.Combine(temp.Path, "again"),
            "--max-train-samples", "64", "--max-eval-samples", "32", "--max-steps", "1", "--max-seq-length", "32", "--pooler-input", "cls");
        Assert.True(code == 0, stderr);
        Assert.Contains("1 optimizer step;", stderr);
        Assert.Contains("sst2 fine-tuning finished: 1 step, training time", stdout);
        Assert.Contains("the pooler now reads cls; its weights were trained reading mean", stderr);
    }

    [Fact]
    public void Finetune_distils_from_a_teacher_with_another_vocabulary()
    {
        using var temp = new TempFolder();
        // The student reads bert-base-uncased's 30,522 tokens, the teacher (the golden tiny model) its own 4,096.
        var (code, _, stderr) = FinetuneTinyTwoSteps(temp.Path, "--teacher", GoldenFiles.TinyModelFolder, "--distillation-weight", "0.7");
        Assert.True(code == 0, stderr);
        Assert.Contains($"teacher 1: {GoldenFiles.TinyModelFolder}", stderr);
        Assert.Contains("the teachers' logits on 64 training rows took", stderr);
        Assert.Contains("distillation weight 0.7, temperature 2", stderr);
        var steps = StepsWith(temp.Path, "task_loss");
        Assert.Equal(2, steps.Count);
        Assert.All(steps, s => Assert.NotEqual(s.GetProperty("task_loss").GetDouble(), s.GetProperty("loss").GetDouble(), 3));
    }

    [Fact]
    public void Finetune_can_keep_the_first_layers_only()
    {
        using var temp = new TempFolder();
        var (code, _, stderr) = FinetuneTinyTwoSteps(temp.Path, "--num-hidden-layers", "1");
        Assert.True(code == 0, stderr);
        Assert.Contains("\"num_hidden_layers\": 1", File.ReadAllText(Path.Combine(temp.Path, "config.json")));
        (code, _, stderr) = FinetuneTinyTwoSteps(Path.Combine(temp.Path, "more"), "--num-hidden-layers", "3");
        Assert.Equal(1, code);
        Assert.Contains("--num-hidden-layers 3: bert-tiny has 2 layers; keep at most that many", stderr);
    }

    [Fact]
    public void Finetune_with_rdrop_logs_how_much_the_two_passes_disagree()
    {
        using var temp = new TempFolder();
        var (code, _, stderr) = FinetuneTinyTwoSteps(temp.Path, "--rdrop-alpha", "1");
        Assert.True(code == 0, stderr);
        var steps = StepsWith(temp.Path, "disagreement");
        Assert.Equal(2, steps.Count);
        // Dropout differs between the passes, so their predictions do too.
        Assert.All(steps, s => Assert.True(s.GetProperty("disagreement").GetDouble() > 0));
    }

    [Theory]
    [InlineData("sst2", new[] { "--distillation-weight", "0.5" }, "--distillation-weight needs --teacher")]
    [InlineData("sst2", new[] { "--distillation-temperature", "3" }, "--distillation-temperature needs --teacher")]
    [InlineData("sst2", new[] { "--teacher", "TINY", "--distillation-weight", "0" }, "--distillation-weight 0: must be in (0, 1]")]
    [InlineData("sst2", new[] { "--teacher", "TINY", "--distillation-temperature", "-1" }, "--distillation-temperature -1: must be positive")]
    [InlineData("stsb", new[] { "--teacher", "TINY" }, "has 2 labels; stsb needs a regression score (1 output)")]
    [InlineData("sst2", new[] { "--teacher", "TINY", "--engine", "torchsharp" }, "--teacher: the TorchSharp engine does not distil")]
    [InlineData("sst2", new[] { "--rdrop-alpha", "1", "--engine", "torchsharp" }, "--rdrop-alpha: the TorchSharp engine does not run R-Drop")]
    public void Bad_distillation_and_rdrop_flags_are_clear_errors(string task, string[] flags, string message)
    {
        using var temp = new TempFolder();
        var (code, _, stderr) = Run(["finetune", "--task", task, "--model", "bert-tiny", "--vocab", Vocab, "--data-dir", GlueDir, "--output", temp.Path,
            "--max-train-samples", "16", "--max-steps", "1", .. flags.Select(f => f == "TINY" ? GoldenFiles.TinyModelFolder : f)]);
        Assert.Equal(1, code);
        Assert.Contains(message, stderr);
        Assert.False(File.Exists(Path.Combine(temp.Path, "model.safetensors")));
    }

    [Theory]
    [InlineData(new[] { "--warmup-steps", "3", "--warmup-ratio", "0.1" }, "not both")]
    [InlineData(new[] { "--learning-rate", "-1" }, "--learning-rate -1")]
    [InlineData(new[] { "--lr-scheduler-type", "bogus" }, "bogus")]
    [InlineData(new[] { "--bogus-flag", "1" }, "--bogus-flag")]
    [InlineData(new[] { "--pooler-input", "max" }, "--pooler-input max: expected cls or mean")]
    [InlineData(new[] { "--rdrop-alpha", "-1" }, "--rdrop-alpha -1: must be a number, 0 or more")]
    [InlineData(new[] { "--num-hidden-layers", "0" }, "--num-hidden-layers 0: must be at least 1")]
    public void Bad_flags_are_clear_errors(string[] flags, string message)
    {
        var (code, _, stderr) = Run(["finetune", "--task", "rte", "--data-dir", GlueDir, "--vocab", Vocab, .. flags]);
        Assert.NotEqual(0, code);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void Finetune_takes_its_rows_from_the_files_named_and_nothing_from_the_glue_folder()
    {
        using var temp = new TempFolder();
        // Rows of SST-2's dev file written to two files of our own; the GLUE folder given does not exist.
        var dev = File.ReadAllLines(Path.Combine(GlueDir, "SST-2", "dev.tsv"));
        string trainPath = Path.Combine(temp.Path, "my-train.tsv"), validationPath = Path.Combine(temp.Path, "my-dev.tsv");
        File.WriteAllLines(trainPath, dev.Take(41));
        File.WriteAllLines(validationPath, [dev[0], .. dev.Skip(41).Take(24)]);
        string[] common = ["finetune", "--task", "sst2", "--model", "bert-tiny", "--vocab", Vocab, "--data-dir", Path.Combine(temp.Path, "no-glue-here"),
            "--train-file", trainPath, "--validation-file", validationPath, "--max-steps", "2", "--max-seq-length", "32", "--per-device-train-batch-size", "16"];

        var (code, stdout, stderr) = Run([.. common, "--output", Path.Combine(temp.Path, "plain")]);
        Assert.True(code == 0, stderr);
        Assert.Contains($"sst2: 40 training rows from {trainPath}, 24 evaluation rows from {validationPath}", stderr);
        Assert.Matches(@"\| dev \(best\) +\| +[01]\.\d{4} \|", stdout);

        // --held-out sets rows of the training file aside; the validation file is the split reported after training.
        (code, stdout, stderr) = Run([.. common, "--held-out", "8", "--output", Path.Combine(temp.Path, "held-out")]);
        Assert.True(code == 0, stderr);
        Assert.Contains($"sst2: 32 training rows from {trainPath}, 8 evaluation rows from {trainPath}", stderr);
        Assert.Matches(@"\| heldout \(best\) +\| +[01]\.\d{4} \|", stdout);
        Assert.Matches(@"\| dev +\| +[01]\.\d{4} \|", stdout);
    }

    [Theory]
    [InlineData("--train-file")]
    [InlineData("--validation-file")]
    public void A_bad_row_in_a_named_file_is_reported_with_its_file_and_line(string flag)
    {
        using var temp = new TempFolder();
        string bad = Path.Combine(temp.Path, "rows.tsv");
        File.WriteAllLines(bad, ["sentence\tlabel", "a fine film .\t1", "a row without its label"]);
        var (code, _, stderr) = Run("finetune", "--task", "sst2", "--model", "bert-tiny", "--vocab", Vocab, "--data-dir", GlueDir,
            flag, bad, "--output", Path.Combine(temp.Path, "run"), "--max-steps", "1");
        Assert.Equal(1, code);
        Assert.Contains($"{bad}, line 3", stderr);

        (code, _, stderr) = Run("finetune", "--task", "sst2", "--model", "bert-tiny", "--vocab", Vocab, "--data-dir", GlueDir,
            flag, Path.Combine(temp.Path, "missing.tsv"), "--output", Path.Combine(temp.Path, "run"), "--max-steps", "1");
        Assert.Equal(1, code);
        Assert.Contains("missing.tsv not found", stderr);
    }

    [Fact]
    public void Missing_glue_data_says_how_to_get_it()
    {
        using var temp = new TempFolder();
        var (code, _, stderr) = Run("finetune", "--task", "sst2", "--data-dir", Path.Combine(temp.Path, "nowhere"), "--vocab", Vocab);
        Assert.Equal(1, code);
        Assert.Contains("nowhere", stderr);
    }
}
