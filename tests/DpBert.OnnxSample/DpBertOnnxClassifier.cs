using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace DpBert.OnnxSample;

/// <summary>One classified text: the label, the logits, and which encoder layers ran for it.</summary>
public sealed record PlannedLabel(string Text, string Label, float[] Logits, bool[] Plan, float[] LayerProbabilities);

/// <summary>
/// A DPBERT model exported by <c>dpbert export onnx --dpbert</c>, run with ONNX Runtime and tokenized with Microsoft.ML.Tokenizers:
/// no DpBert package involved. The graph decides per text which layers run (<c>plan</c>) and skips the others.
/// </summary>
public sealed class DpBertOnnxClassifier : IDisposable
{
    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly string[] _labels;

    /// <param name="modelPath">The exported <c>.onnx</c> file.</param>
    /// <param name="vocabPath">The model's <c>vocab.txt</c> (an uncased vocabulary: texts are lower-cased).</param>
    public DpBertOnnxClassifier(string modelPath, string vocabPath)
    {
        // ORT warns that the theta initializer is also an input: that is what makes theta optional, so warnings are off.
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        _session = new InferenceSession(modelPath, options);
        _tokenizer = BertTokenizer.Create(vocabPath, new BertOptions { LowerCaseBeforeTokenization = true });
        // The exporter writes the label names into the model's metadata.
        _labels = _session.ModelMetadata.CustomMetadataMap["id2label"].Split(',');
    }

    /// <summary>Classifies <paramref name="texts"/> as one batch; <paramref name="theta"/> null uses the value exported with the model.</summary>
    public IReadOnlyList<PlannedLabel> Classify(IReadOnlyList<string> texts, float? theta = null, int maxTokens = 128)
    {
        // [CLS] text [SEP], truncated, padded to the longest text of the batch.
        var ids = texts.Select(t => Tokenize(t, maxTokens)).ToList();
        int batch = texts.Count, length = ids.Max(row => row.Count);
        var inputIds = new long[batch * length];
        var attentionMask = new long[batch * length];
        var tokenTypeIds = new long[batch * length];   // one segment
        for (int r = 0; r < batch; r++)
            for (int t = 0; t < length; t++)
            {
                bool real = t < ids[r].Count;
                inputIds[r * length + t] = real ? ids[r][t] : _tokenizer.PaddingTokenId;
                attentionMask[r * length + t] = real ? 1 : 0;
            }

        long[] shape = [batch, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(attentionMask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(tokenTypeIds, shape);
        using var thetaValue = OrtValue.CreateTensorValueFromMemory(new[] { theta ?? 0f }, []);
        var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = idsValue, ["attention_mask"] = maskValue, ["token_type_ids"] = typesValue };
        if (theta is not null) inputs["theta"] = thetaValue;
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, inputs, ["logits", "plan", "layer_probabilities"]);

        var logits = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var plan = outputs[1].GetTensorDataAsSpan<bool>().ToArray();
        var probabilities = outputs[2].GetTensorDataAsSpan<float>().ToArray();
        int labels = logits.Length / batch, layers = plan.Length / batch, planned = probabilities.Length / batch;
        return Enumerable.Range(0, batch).Select(r =>
        {
            var row = logits.AsSpan(r * labels, labels).ToArray();
            int best = Array.IndexOf(row, row.Max());
            return new PlannedLabel(texts[r], _labels[best], row, plan.AsSpan(r * layers, layers).ToArray(), probabilities.AsSpan(r * planned, planned).ToArray());
        }).ToList();
    }

    /// <summary>The ids of <c>[CLS] text [SEP]</c>, at most <paramref name="maxTokens"/> of them.</summary>
    public IReadOnlyList<int> Tokenize(string text, int maxTokens = 128) =>
        _tokenizer.EncodeToIds(text, maxTokens, addSpecialTokens: true, out _, out _);

    public void Dispose() => _session.Dispose();
}
