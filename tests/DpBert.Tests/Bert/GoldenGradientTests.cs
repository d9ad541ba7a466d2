using System.Text.Json;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tensors;
using DpBert.Tests.Tensors;

namespace DpBert.Tests.Bert;

/// <summary>
/// Backward parity with Hugging Face/PyTorch: the loss of <c>grads.json</c>'s batch and the gradient of every
/// parameter (<c>grads.safetensors</c>) within 1e-4 relative or 1e-6 absolute, on every backend here.
/// </summary>
[Collection(GemmBackendScope.Collection)]
public class GoldenGradientTests
{
    public static TheoryData<GemmBackend> Backends() => GoldenForwardTests.Backends();

    [Theory]
    [MemberData(nameof(Backends))]
    public void Loss_and_every_parameter_gradient_match_pytorch(GemmBackend backend) => GemmBackendScope.Run(backend, () =>
    {
        var model = GoldenForwardTests.LoadTinyModel();
        using var doc = JsonDocument.Parse(File.ReadAllText(GoldenFiles.TinyGradsJson));
        var golden = doc.RootElement;
        var b = golden.GetProperty("batch");
        int[][] Rows(string name) => b.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        var batch = BertBatch.FromRows(Rows("input_ids"), Rows("token_type_ids"), Rows("attention_mask"));
        int[] labels = b.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32()).ToArray();

        var grads = model.Parameters.CreateLike();
        var acts = new BertTrainingActivations(model.Config);
        var (loss, logits) = model.ForwardBackward(batch, acts, grads, labels, default, seed: 1);

        Assert.Equal(golden.GetProperty("loss_f64").GetDouble(), loss, 1e-5);
        var expectedLogits = golden.GetProperty("logits").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        KernelAssertClose(expectedLogits, logits, "logits");

        using var expected = SafetensorsFile.Open(GoldenFiles.TinyGrads);
        var failures = new List<string>();
        foreach (var p in grads.Parameters)
        {
            var want = expected.ReadFloat32(p.Name);
            var got = grads.Span(p);
            for (int i = 0; i < want.Length; i++)
            {
                double err = Math.Abs(got[i] - want[i]);
                if (err > 1e-6 && err > 1e-4 * Math.Abs(want[i]))
                {
                    failures.Add($"{p.Name}[{i}]: {got[i]:G9} vs {want[i]:G9} (abs err {err:G3})");
                    break;
                }
            }
        }
        Assert.True(failures.Count == 0, $"{backend}: {failures.Count} parameters differ:\n" + string.Join("\n", failures));
    });

    private static void KernelAssertClose(float[] expected, float[] actual, string what) =>
        KernelAssert.Close(expected, actual, 1e-5, 0, what);
}
