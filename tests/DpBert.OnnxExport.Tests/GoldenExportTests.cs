using DpBert.Planning;

namespace DpBert.OnnxExport.Tests;

/// <summary>The exported full graph, run by ONNX Runtime, reproduces the logits Hugging Face computed for the golden model.</summary>
public class GoldenExportTests
{
    [Fact]
    public void Full_graph_on_onnx_runtime_gives_the_hugging_face_logits()
    {
        using var temp = new TempFolder();
        var golden = SharedFiles.LoadGoldenModel();
        var result = BertOnnxExporter.Save(BertOnnxExporter.BuildFull(golden.Model), temp.File("model.onnx"));
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], result.Inputs);
        Assert.Equal(["logits"], result.Outputs);
        using var ort = new OrtModel(result.Path);
        double worst = 0;
        foreach (var (name, batch, expected) in SharedFiles.GoldenBatches())
        {
            var (logits, _) = ort.Run(batch);
            Assert.Equal(expected.Length, logits.Length);
            for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - logits[i]));
            Assert.True(worst < 1e-5, $"{name}: ONNX Runtime logits differ from Hugging Face's by {worst:E2}");
        }
    }
}
