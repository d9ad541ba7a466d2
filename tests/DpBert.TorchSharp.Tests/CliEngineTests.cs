using System.Text.Json;
using DpBert.Cli;
using DpBert.Planning;
using Xunit.Abstractions;

namespace DpBert.TorchSharp.Tests;

/// <summary>
/// <c>dpbert finetune|plan|predict --engine torchsharp</c>, run in process (this test assembly references the engine, as a
/// <c>-p:WithTorchSharp=true</c> build of the command line does): the folders written load in the core engine, and
/// <c>predict</c> gives the core engine's answer.
/// </summary>
public class CliEngineTests(ITestOutputHelper output)
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Finetune_plan_and_predict_on_torchsharp_write_folders_the_core_engine_reads()
    {
        using var folder = new TempFolder();
        string model = Path.Combine(folder.Path, "sst2");
        string[] data = ["--task", "sst2", "--data-dir", SharedFiles.Glue, "--max-train-samples", "96", "--max-eval-samples", "48", "--max-seq-length", "32"];
        var finetune = Run(["finetune", .. data, "--model", SharedFiles.TinyModel, "--output", model, "--num-train-epochs", "1", "--engine", "torchsharp", "--device", "cpu"]);
        Assert.True(finetune.Code == 0, finetune.Err);
        Assert.Contains("sst2 fine-tuning finished: 3 steps", finetune.Out);
        Assert.Equal(3, File.ReadLines(Path.Combine(model, "training_log.jsonl")).Count(l => l.Contains("\"loss\"", StringComparison.Ordinal) && !l.Contains("eval_", StringComparison.Ordinal)));

        var plan = Run(["plan", .. data, "--model", model, "--max-steps", "2", "--engine", "torchsharp"]);
        Assert.True(plan.Code == 0, plan.Err);
        Assert.Contains("planner trained: 2 steps", plan.Out);
        var (_, classifier) = DpBertFolder.Load(Path.Combine(model, "dpbert"));
        Assert.Equal(1, classifier.Planner.AlwaysRunLayers);

        string text = "a gorgeous, witty, seductive movie.";
        var core = Run(["predict", "--model", model, "--json", text]);
        var torch = Run(["predict", "--model", model, "--json", "--engine", "torchsharp", text]);
        Assert.True(core.Code == 0 && torch.Code == 0, core.Err + torch.Err);
        using var coreJson = JsonDocument.Parse(core.Out);
        using var torchJson = JsonDocument.Parse(torch.Out);
        Assert.Equal(coreJson.RootElement.GetProperty("label").GetString(), torchJson.RootElement.GetProperty("label").GetString());
        var coreLogits = coreJson.RootElement.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var torchLogits = torchJson.RootElement.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.True(Difference.Of(torchLogits, coreLogits).MaxAbs <= 1e-5, $"{string.Join(", ", torchLogits)} vs {string.Join(", ", coreLogits)}");
        output.WriteLine($"predict: core {string.Join(", ", coreLogits)}; torchsharp {string.Join(", ", torchLogits)}");
    }

    [Fact]
    public void Engine_and_device_mistakes_get_one_clear_line()
    {
        var device = Run("predict", "--model", SharedFiles.TinyModel, "--device", "cuda", "text");
        Assert.Equal(1, device.Code);
        Assert.Contains("the core engine runs on the CPU", device.Err);
        var engine = Run("predict", "--model", SharedFiles.TinyModel, "--engine", "onnx", "text");
        Assert.Equal(2, engine.Code);
        Assert.Contains("onnx", engine.Err);
        var resume = Run("finetune", "--task", "sst2", "--data-dir", SharedFiles.Glue, "--engine", "torchsharp", "--resume-from-checkpoint", "x");
        Assert.Equal(1, resume.Code);
        Assert.Contains("--resume-from-checkpoint", resume.Err);
        var bad = Run("predict", "--model", SharedFiles.TinyModel, "--engine", "torchsharp", "--device", "gpu7", "text");
        Assert.Equal(1, bad.Code);
        Assert.Contains("gpu7", bad.Err);
    }
}
