using DpBert.Bert;
using DpBert.Planning;
using Microsoft.ML.OnnxRuntime;

namespace DpBert.OnnxExport.Tests;

/// <summary>
/// The exported graphs of the golden model, run by ONNX Runtime, reproduce the logits Hugging Face computed, at every opset
/// the exporter writes and with ORT's graph optimisations off (standard operators only, no fused kernels) or fully on.
/// </summary>
public class GoldenExportTests
{
    public static TheoryData<int, GraphOptimizationLevel> Settings()
    {
        var data = new TheoryData<int, GraphOptimizationLevel>();
        for (int opset = OnnxExportOptions.MinOpset; opset <= OnnxExportOptions.MaxOpset; opset++)
            foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL }) data.Add(opset, level);
        return data;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Full_and_dpbert_graphs_on_onnx_runtime_give_the_hugging_face_logits(int opset, GraphOptimizationLevel level)
    {
        using var temp = new TempFolder();
        var golden = SharedFiles.LoadGoldenModel();
        var options = new OnnxExportOptions { Opset = opset };
        var full = BertOnnxExporter.Save(BertOnnxExporter.BuildFull(golden.Model, options), temp.File("full.onnx"));
        Assert.Equal(opset, full.Opset);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], full.Inputs);
        Assert.Equal(["logits"], full.Outputs);
        // A planner that runs every layer: the DPBERT graph must then be the full model.
        var planner = new PlanningModule(golden.Config, 1);
        planner.Parameters.Span("planner.output.bias").Fill(20f);
        var dpbert = BertOnnxExporter.Save(BertOnnxExporter.BuildDpBert(golden.Model, planner, options), temp.File("dpbert.onnx"));
        Assert.Equal(["logits", "plan", "layer_probabilities"], dpbert.Outputs);
        foreach (string path in new[] { full.Path, dpbert.Path })
        {
            using var ort = new OrtModel(path, level);
            foreach (var (name, batch, expected) in SharedFiles.GoldenBatches())
            {
                var (logits, plan) = ort.Run(batch);
                double worst = DpBertParityTests.MaxAbsDiff(expected, logits);
                Assert.True(worst < 1e-5, $"{Path.GetFileName(path)} {name}: ONNX Runtime logits differ from Hugging Face's by {worst:E2}");
                if (plan is not null) Assert.All(plan, Assert.True);
            }
        }
    }
}
