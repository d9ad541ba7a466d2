using DpBert.Cli;
using DpBert.Evaluation;
using static DpBert.Tests.CliRun;

namespace DpBert.Tests.Cli;

/// <summary><c>dpbert plan</c>, <c>exits</c>, <c>evaluate</c> and <c>tradeoff</c> end to end on the golden tiny model and small SST-2 subsets.</summary>
public class PlanningCommandTests
{
    private static string GlueDir => Path.Combine(GoldenFiles.SharedFolder, "glue");

    private static string CopyTinyModel(TempFolder temp)
    {
        string folder = Path.Combine(temp.Path, "model");
        Directory.CreateDirectory(folder);
        foreach (string f in Directory.GetFiles(GoldenFiles.TinyModelFolder)) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        return folder;
    }

    [Fact]
    public void Oracle_static_heads_and_oracle_supervised_planning_with_held_out_rows()
    {
        using var temp = new TempFolder();
        string model = CopyTinyModel(temp);
        string[] data = ["--task", "sst2", "--model", model, "--data-dir", GlueDir, "--max-seq-length", "32"];
        var (code, stdout, stderr) = Run(["oracle", .. data, "--max-eval-samples", "20"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("oracle on sst2 dev (20 inputs):", stdout);
        Assert.Equal(20, File.ReadAllLines(Path.Combine(model, "oracle", "oracle_plans.jsonl")).Length);
        Assert.DoesNotContain("NaN", stdout);
        // One input runs one plan: its correlations are undefined, and say why.
        (code, stdout, stderr) = Run(["oracle", .. data, "--max-eval-samples", "1", "--output", Path.Combine(temp.Path, "oracle-1")]);
        Assert.True(code == 0, stderr);
        Assert.Contains("confidence r = n/a, vs length r = n/a (every input runs as many layers)", stdout);
        (code, stdout, stderr) = Run(["static", .. data, "--depths", "1", "--max-steps", "3", "--max-train-samples", "48", "--held-out", "16", "--per-device-train-batch-size", "16"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("best checkpoint on heldout", stderr);
        Assert.True(File.Exists(Path.Combine(model, "static", "depth-1", "model.safetensors")));
        (code, stdout, stderr) = Run(["plan", .. data, "--max-steps", "3", "--max-train-samples", "48", "--held-out", "16", "--oracle-weight", "1", "--per-device-train-batch-size", "16"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("oracle plans of the training set:", stderr);
        Assert.Contains("heldout at theta 0.5", stdout);
        Assert.Contains("\"oracle_loss\"", File.ReadAllText(Path.Combine(model, "dpbert", "training_log.jsonl")));
        (code, stdout, stderr) = Run(["tradeoff", .. data, "--methods", "full,static,oracle,dpbert", "--depths", "1", "--thetas", "0.5", "--max-eval-samples", "20",
            "--warmup", "1", "--warmup-ms", "0", "--batch-size", "8"]);
        Assert.True(code == 0, stderr);
        var tradeoff = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "evaluation", "tradeoff.json"))).RootElement.GetProperty("points");
        var oracle = tradeoff.EnumerateArray().Single(p => p.GetProperty("method").GetString() == "oracle");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, oracle.GetProperty("knob_value").ValueKind);
        Assert.True(oracle.GetProperty("diversity").GetProperty("distinct_plans").GetInt32() >= 1);
        Assert.Contains("| oracle ", stdout);
        // The held-out rows are the same in every command, and never the dev rows.
        (code, _, stderr) = Run(["oracle", .. data, "--split", "heldout"]);
        Assert.Contains("--split heldout needs --held-out N", stderr);
        // Whole rows: SST-2's sentences, not their phrases.
        (code, stdout, stderr) = Run(["oracle", .. data, "--split", "heldout", "--held-out", "16", "--held-out-rows", "whole"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("oracle on sst2 heldout (16 inputs):", stdout);
        (code, _, stderr) = Run(["oracle", .. data, "--split", "heldout", "--held-out", "16", "--held-out-rows", "sentences"]);
        Assert.Equal(1, code);
        Assert.Contains("--held-out-rows sentences: expected any or whole", stderr);
        (code, _, stderr) = Run(["oracle", .. data, "--held-out-rows", "whole"]);
        Assert.Equal(1, code);
        Assert.Contains("--held-out-rows whole needs --held-out N", stderr);
        (code, _, stderr) = Run(["oracle", "--task", "rte", "--model", model, "--data-dir", GlueDir, "--split", "heldout", "--held-out", "10", "--held-out-rows", "whole"]);
        Assert.Equal(1, code);
        Assert.Contains("rte rows are sentence pairs", stderr);
        Assert.DoesNotContain("(Parameter", stderr);
    }

    [Fact]
    public void Plan_by_policy_gradient_writes_its_settings_and_refuses_what_cannot_work()
    {
        using var temp = new TempFolder();
        string model = CopyTinyModel(temp);
        string[] data = ["--task", "sst2", "--model", model, "--data-dir", GlueDir, "--max-seq-length", "32", "--max-train-samples", "48", "--max-eval-samples", "16"];
        var (code, stdout, stderr) = Run(["plan", .. data, "--max-steps", "3", "--per-device-train-batch-size", "16", "--gate-estimator", "reinforce", "--layer-cost", "0.5", "--lambda", "0", "--depth-heads"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("reinforce gates", stderr);
        Assert.Contains("a head per plan length", stderr);
        Assert.Contains("computing the full-depth model's logits on the training set", stderr);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(model, "dpbert", "dpbert_config.json")))!;
        Assert.Equal("reinforce", config["gate_estimator"]!.GetValue<string>());
        Assert.Equal(0.5, config["layer_cost"]!.GetValue<double>());
        var log = DpBert.Training.TrainingLog.Read(Path.Combine(model, "dpbert", DpBert.Training.TrainingLog.FileName)).Where(r => r.ContainsKey("reward")).ToList();
        Assert.Equal(3, log.Count);
        Assert.All(log, r => Assert.InRange(r["gate_probability"].GetDouble(), 0, 1));
        Assert.All(log, r => Assert.False(r.ContainsKey("temperature")));   // Bernoulli samples have no temperature
        Assert.Contains("| reward ", stderr);
        Assert.True(config["depth_heads"]!.GetValue<bool>());
        Assert.DoesNotContain("| tau ", stderr);

        (code, _, stderr) = Run(["plan", .. data, "--max-steps", "3", "--per-device-train-batch-size", "1", "--gate-estimator", "reinforce"]);
        Assert.Equal(1, code);
        Assert.Contains("--gate-estimator reinforce needs --per-device-train-batch-size >= 2", stderr);
        (code, _, stderr) = Run(["plan", .. data, "--max-steps", "3", "--gate-estimator", "reinforce", "--engine", "torchsharp"]);
        Assert.Equal(1, code);
        Assert.Contains("--gate-estimator reinforce: the TorchSharp engine does not train it", stderr);
        (code, _, stderr) = Run(["plan", .. data, "--max-steps", "3", "--oracle-weight", "1", "--engine", "torchsharp"]);
        Assert.Equal(1, code);
        Assert.Contains("--oracle-weight: the TorchSharp engine does not train it", stderr);
        Assert.DoesNotContain("oracle plans", stderr);   // refused before the search
        (code, _, stderr) = Run(["plan", .. data, "--max-steps", "3", "--depth-heads", "--engine", "torchsharp"]);
        Assert.Equal(1, code);
        Assert.Contains("--depth-heads: the TorchSharp engine does not train it", stderr);
        (code, _, stderr) = Run(["plan", .. data, "--gate-estimator", "gumbel"]);
        Assert.NotEqual(0, code);
        Assert.Contains("gumbel", stderr);
    }

    [Fact]
    public void Plan_exits_and_tradeoff_produce_folders_tables_and_result_files()
    {
        using var temp = new TempFolder();
        string model = CopyTinyModel(temp);
        string[] data = ["--task", "sst2", "--model", model, "--data-dir", GlueDir];
        var (code, stdout, stderr) = Run(["plan", .. data, "--max-steps", "4", "--max-train-samples", "64", "--max-eval-samples", "16", "--per-device-train-batch-size", "16", "--max-seq-length", "32"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("planner trained: 4 steps", stdout);
        Assert.Contains("| tau ", stderr);   // straight-through gates: the annealed temperature on the progress line
        Assert.True(File.Exists(Path.Combine(model, "dpbert", "planner.safetensors")));
        foreach (string method in new[] { "deebert", "pabee" })
        {
            (code, stdout, stderr) = Run(["exits", "--method", method, .. data, "--max-steps", "3", "--max-train-samples", "48", "--per-device-train-batch-size", "16", "--max-seq-length", "32"]);
            Assert.True(code == 0, stderr);
            Assert.True(File.Exists(Path.Combine(model, method, "exits.safetensors")), method);
            Assert.Matches(@"each exit head alone on dev \(872 rows\), accuracy after layer 1\.\.2: [01]\.\d{4}  [01]\.\d{4}", stdout);
        }
        (code, stdout, stderr) = Run(["tradeoff", .. data, "--max-eval-samples", "24", "--batch1-inputs", "6", "--warmup", "2", "--warmup-ms", "0", "--batch-size", "8", "--max-seq-length", "32"]);
        Assert.True(code == 0, stderr);
        // full + 11 thetas + 9 entropies + 1 patience + 2 depths for a 2-layer model.
        var tradeoff = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "evaluation", "tradeoff.json")));
        Assert.Equal(24, tradeoff.RootElement.GetProperty("points").GetArrayLength());
        Assert.True(tradeoff.RootElement.GetProperty("pareto_front").GetArrayLength() >= 1);
        Assert.Equal(25, File.ReadAllLines(Path.Combine(model, "evaluation", "tradeoff.csv")).Length);
        Assert.Contains("| dpbert theta=0.5", stdout);
        Assert.Contains("Pareto front:", stdout);
        Assert.Contains("[24/24]", stderr);

        (code, stdout, stderr) = Run(["evaluate", .. data, "--methods", "full,static,dpbert", "--warmup-ms", "0", "--max-eval-samples", "12", "--batch1-inputs", "4", "--max-seq-length", "32"]);
        Assert.True(code == 0, stderr);
        var results = ResultFiles.LoadJson(Path.Combine(model, "evaluation", "results.json"));
        Assert.Equal(["full", "static", "dpbert"], results.Select(r => r.Method));
        Assert.Equal(1.0, results.Single(r => r.Method == "static").KnobValue);
    }

    [Theory]
    [InlineData(new[] { "plan", "--rho", "1.5" }, "--rho 1.5")]
    [InlineData(new[] { "plan", "--rho", "0" }, "--rho 0")]
    [InlineData(new[] { "evaluate", "--methods", "full,dpbert", "--theta", "1" }, "theta 1")]
    [InlineData(new[] { "evaluate", "--methods", "full,bogus" }, "bogus")]
    [InlineData(new[] { "evaluate", "--methods", "pabee" }, "dpbert exits --method pabee")]
    [InlineData(new[] { "evaluate", "--methods", "full,static", "--static", "no-such-static" }, "static: folder no-such-static not found")]
    public void Bad_knobs_and_missing_folders_are_clear_errors(string[] args, string message)
    {
        using var temp = new TempFolder();
        string model = CopyTinyModel(temp);
        if (args[0] == "evaluate" && args.Contains("full,dpbert"))
        {
            var (planCode, _, planErr) = Run("plan", "--task", "sst2", "--model", model, "--data-dir", GlueDir, "--max-steps", "1", "--max-train-samples", "8",
                "--max-eval-samples", "4", "--per-device-train-batch-size", "8", "--max-seq-length", "16");
            Assert.True(planCode == 0, planErr);
        }
        var (code, _, stderr) = Run([.. args, "--task", "sst2", "--model", model, "--data-dir", GlueDir, "--max-eval-samples", "4", "--max-seq-length", "16"]);
        Assert.Equal(1, code);
        Assert.Contains(message, stderr);
    }
}
