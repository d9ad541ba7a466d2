using System.Diagnostics;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tokenization;

namespace DpBert.Inference;

/// <summary>
/// Text in, labels out: tokenizes single texts or pairs, runs a <see cref="BertForSequenceClassification"/>
/// in padded batches, and returns probabilities with the tokens the model saw. Not thread-safe.
/// </summary>
public sealed class TextClassifier
{
    /// <summary>The model.</summary>
    public BertForSequenceClassification Model { get; }
    /// <summary>The tokenizer.</summary>
    public BertTokenizer Tokenizer { get; }
    /// <summary>Inputs are truncated (<c>longest_first</c>) to this many tokens, specials included.</summary>
    public int MaxLength { get; }

    private readonly Func<BertBatch, float[]> _forward;

    /// <summary>Pairs a model with its tokenizer; <paramref name="maxLength"/> defaults to the model's <c>max_position_embeddings</c>.</summary>
    /// <param name="model">The model (its configuration names the labels).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="maxLength">Truncation length, specials included.</param>
    /// <param name="forward">Optional: computes the logits (B, num_labels) of a batch in place of <paramref name="model"/>'s
    /// own forward pass, for another engine running the same weights (such as DpBert.TorchSharp).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is below 2 or beyond the position embeddings.</exception>
    public TextClassifier(BertForSequenceClassification model, BertTokenizer tokenizer, int? maxLength = null, Func<BertBatch, float[]>? forward = null)
    {
        Model = model;
        Tokenizer = tokenizer;
        _forward = forward ?? (batch => model.Forward(batch));
        int limit = model.Config.MaxPositionEmbeddings;
        MaxLength = maxLength ?? limit;
        if (MaxLength < 2 || MaxLength > limit)
            throw new ArgumentOutOfRangeException(nameof(maxLength), $"max length {MaxLength} must be between 2 and the model's max_position_embeddings {limit}");
    }

    /// <summary>Loads a model folder or Hugging Face model id (see <see cref="ModelFolder"/>); <paramref name="progress"/> receives download progress.</summary>
    public static TextClassifier Load(string folder, int? maxLength = null, IProgress<HubDownloadProgress>? progress = null)
    {
        var loaded = ModelFolder.LoadSequenceClassifier(folder, progress: progress);
        return new TextClassifier(loaded.Model, loaded.Tokenizer, maxLength);
    }

    /// <summary>Classifies one text or pair.</summary>
    public Prediction Predict(string text, string? textPair = null) => Predict([new TextInput(text, textPair)])[0];

    /// <summary>Classifies many inputs, <paramref name="batchSize"/> at a time; results are in input order.</summary>
    /// <param name="inputs">Texts and optional pairs.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <param name="progress">Optional: receives the number of inputs done after each batch.</param>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<TextInput> inputs, int batchSize = 32, IProgress<int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var results = new List<Prediction>(inputs.Count);
        for (int start = 0; start < inputs.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, inputs.Count - start);
            var chunk = Enumerable.Range(start, count).Select(i => inputs[i]).ToList();
            long t0 = Stopwatch.GetTimestamp();
            bool anyPair = chunk.Any(c => c.TextPair is not null);
            if (anyPair && chunk.Any(c => c.TextPair is null))
            {
                // Mixed singles and pairs: encode row by row so each keeps its own layout.
                foreach (var c in chunk) results.AddRange(RunBatch([c], t0));
            }
            else results.AddRange(RunBatch(chunk, t0));
            progress?.Report(results.Count);
        }
        return results;
    }

    private List<Prediction> RunBatch(IReadOnlyList<TextInput> chunk, long t0)
    {
        var texts = chunk.Select(c => c.Text).ToList();
        var pairs = chunk[0].TextPair is null ? null : chunk.Select(c => c.TextPair!).ToList();
        var encoded = Tokenizer.EncodeBatch(texts, pairs, MaxLength);
        var batch = new BertBatch(encoded.InputIds, encoded.TokenTypeIds, encoded.AttentionMask, encoded.BatchSize, encoded.SequenceLength);
        var logits = _forward(batch);
        var probabilities = Model.Probabilities(logits);
        double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        int labels = Model.Config.NumLabels;
        var results = new List<Prediction>(chunk.Count);
        for (int r = 0; r < chunk.Count; r++)
        {
            var ids = encoded.InputIdsOf(r)[..encoded.Lengths[r]].ToArray();
            var rowLogits = logits.AsSpan(r * labels, labels).ToArray();
            var rowProbabilities = probabilities.AsSpan(r * labels, labels).ToArray();
            int best = Model.IsRegression ? 0 : Array.IndexOf(rowProbabilities, rowProbabilities.Max());
            results.Add(new Prediction(chunk[r], Model.IsRegression ? "score" : Model.Config.LabelName(best), best,
                rowLogits, rowProbabilities, Tokenizer.ConvertIdsToTokens(ids), ids, ms / chunk.Count));
        }
        return results;
    }
}

/// <summary>One input: a text and an optional second segment.</summary>
/// <param name="Text">The first (or only) segment.</param>
/// <param name="TextPair">The second segment, for pair tasks.</param>
public sealed record TextInput(string Text, string? TextPair = null);

/// <summary>The model's answer for one input.</summary>
/// <param name="Input">What was classified.</param>
/// <param name="Label">Name of the most probable label (<c>score</c> for regression).</param>
/// <param name="LabelId">Its index.</param>
/// <param name="Logits">Raw outputs (num_labels).</param>
/// <param name="Probabilities">Softmax of the logits (the logits themselves for regression).</param>
/// <param name="Tokens">The word pieces the model saw, specials included.</param>
/// <param name="InputIds">Their ids.</param>
/// <param name="Milliseconds">Wall-clock time for tokenizing and running this input (a batch's time divided by its rows).</param>
public sealed record Prediction(TextInput Input, string Label, int LabelId, float[] Logits, float[] Probabilities,
    string[] Tokens, int[] InputIds, double Milliseconds);
