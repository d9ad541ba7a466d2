using System.Diagnostics;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tokenization;

namespace DpBert.Inference;

/// <summary>
/// Text in, vectors out, as sentence-transformers computes them: the encoder's last hidden states pooled by the
/// [CLS] token or by the mean over the tokens the attention mask keeps, then optionally scaled to unit L2 norm; or,
/// without pooling, every token's last hidden state. The pooler of the encoder is never run. Not thread-safe.
/// </summary>
public sealed class TextEmbedder
{
    /// <summary>The encoder.</summary>
    public BertModel Encoder { get; }
    /// <summary>The tokenizer.</summary>
    public BertTokenizer Tokenizer { get; }
    /// <summary>Pooling, normalisation and the longest input (specials included).</summary>
    public SentenceEmbeddingSettings Settings { get; }
    /// <summary>Inputs are truncated (<c>longest_first</c>) to this many tokens.</summary>
    public int MaxLength { get; }

    /// <summary>Pairs an encoder with its tokenizer and settings; <see cref="SentenceEmbeddingSettings.MaxSeqLength"/> defaults to the position embeddings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The maximum length is below 2 or beyond the position embeddings.</exception>
    public TextEmbedder(BertModel encoder, BertTokenizer tokenizer, SentenceEmbeddingSettings settings)
    {
        Encoder = encoder;
        Tokenizer = tokenizer;
        Settings = settings;
        int limit = encoder.Config.MaxPositionEmbeddings;
        MaxLength = settings.MaxSeqLength ?? limit;
        if (MaxLength < 2 || MaxLength > limit)
            throw new ArgumentOutOfRangeException(nameof(settings), $"max length {MaxLength} must be between 2 and the model's max_position_embeddings {limit}");
    }

    /// <summary>
    /// Loads a model folder, <c>nuget:</c> package or hub id (see <see cref="ModelFolder.LoadEncoder"/>). Its sentence-transformers
    /// settings (<c>modules.json</c>, see <see cref="SentenceEmbeddingSettings"/>) are the defaults; a folder without them pools by
    /// mean without normalising. Each argument given overrides its setting. Without pooling, token vectors are not normalised
    /// unless <paramref name="normalize"/> is true (then each token's vector is).
    /// </summary>
    public static TextEmbedder Load(string model, EmbeddingPooling? pooling = null, bool? normalize = null, int? maxLength = null,
        IProgress<HubDownloadProgress>? progress = null, IProgress<string>? status = null)
    {
        var loaded = ModelFolder.LoadEncoder(model, progress: progress, status: status);
        var settings = SentenceEmbeddingSettings.Read(loaded.Folder) ?? new SentenceEmbeddingSettings(EmbeddingPooling.Mean, Normalize: false, MaxSeqLength: null);
        var chosenPooling = pooling ?? settings.Pooling;
        // sentence-transformers normalises the sentence vector only; its token embeddings stay raw unless asked for.
        bool chosenNormalize = normalize ?? (chosenPooling != EmbeddingPooling.None && settings.Normalize);
        settings = new SentenceEmbeddingSettings(chosenPooling, chosenNormalize, maxLength ?? settings.MaxSeqLength);
        return new TextEmbedder(loaded.Model, loaded.Tokenizer, settings);
    }

    /// <summary>Embeds one text (or pair).</summary>
    public TextEmbedding Embed(string text, string? textPair = null) => Embed([new TextInput(text, textPair)])[0];

    /// <summary>Embeds many inputs, <paramref name="batchSize"/> at a time; results are in input order.</summary>
    /// <param name="inputs">Texts and optional pairs.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <param name="progress">Optional: receives the number of inputs done after each batch.</param>
    public IReadOnlyList<TextEmbedding> Embed(IReadOnlyList<TextInput> inputs, int batchSize = 32, IProgress<int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var results = new List<TextEmbedding>(inputs.Count);
        for (int start = 0; start < inputs.Count; start += batchSize)
        {
            var chunk = inputs.Skip(start).Take(batchSize).ToList();
            long t0 = Stopwatch.GetTimestamp();
            var embedded = new List<TextEmbedding>(chunk.Count);
            // Mixed singles and pairs: encode row by row so each keeps its own layout (as TextClassifier does).
            if (chunk.Any(c => c.TextPair is null) && chunk.Any(c => c.TextPair is not null))
                foreach (var row in chunk) embedded.AddRange(RunBatch([row]));
            else embedded.AddRange(RunBatch(chunk));
            double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds / chunk.Count;
            results.AddRange(embedded.Select(e => e with { Milliseconds = ms }));
            progress?.Report(results.Count);
        }
        return results;
    }

    private List<TextEmbedding> RunBatch(List<TextInput> rows)
    {
        var encoded = Tokenizer.EncodeBatch(rows.Select(r => r.Text).ToList(), rows[0].TextPair is null ? null : rows.Select(r => r.TextPair!).ToList(), MaxLength);
        var batch = new BertBatch(encoded.InputIds, encoded.TokenTypeIds, encoded.AttentionMask, encoded.BatchSize, encoded.SequenceLength);
        Encoder.Forward(batch); // hidden states only: the pooler runs only through Pool
        int h = Encoder.Config.HiddenSize, s = batch.SequenceLength;
        var hidden = Encoder.Activations.Hidden; // (B*S, H)
        var results = new List<TextEmbedding>(rows.Count);
        for (int r = 0; r < rows.Count; r++)
        {
            int length = encoded.Lengths[r];
            var ids = encoded.InputIdsOf(r)[..length].ToArray();
            var tokens = hidden.AsSpan(r * s * h, length * h); // the row's real tokens, padding excluded
            float[] vector = Settings.Pooling switch
            {
                EmbeddingPooling.Cls => tokens[..h].ToArray(),
                EmbeddingPooling.Mean => MeanOverTokens(tokens, length, h),
                _ => tokens.ToArray(),
            };
            if (Settings.Normalize) NormalizeRows(vector, h);
            results.Add(new TextEmbedding(rows[r], Tokenizer.ConvertIdsToTokens(ids), ids, vector, h, 0));
        }
        return results;
    }

    /// <summary>Mean of <paramref name="count"/> rows of width <paramref name="h"/>, summed in double (sentence-transformers divides the masked sum by the mask's count).</summary>
    private static float[] MeanOverTokens(ReadOnlySpan<float> tokens, int count, int h)
    {
        var sum = new double[h];
        for (int t = 0; t < count; t++)
            for (int j = 0; j < h; j++) sum[j] += tokens[t * h + j];
        return Array.ConvertAll(sum, v => (float)(v / count));
    }

    /// <summary>Scales each row of width <paramref name="h"/> to unit L2 norm (a zero row stays zero, as <c>F.normalize</c>'s eps keeps it).</summary>
    private static void NormalizeRows(float[] values, int h)
    {
        for (int start = 0; start < values.Length; start += h)
        {
            var row = values.AsSpan(start, h);
            double squares = 0;
            foreach (float v in row) squares += (double)v * v;
            double norm = Math.Sqrt(squares);
            float scale = (float)(1.0 / Math.Max(norm, 1e-12));
            for (int j = 0; j < h; j++) row[j] *= scale;
        }
    }
}

/// <summary>The vector(s) of one input.</summary>
/// <param name="Input">What was embedded.</param>
/// <param name="Tokens">The word pieces the model saw, specials included.</param>
/// <param name="InputIds">Their ids.</param>
/// <param name="Vector">The sentence vector (length <paramref name="Dimension"/>), or with no pooling every token's vector, token after token.</param>
/// <param name="Dimension">The width of one vector (the hidden size).</param>
/// <param name="Milliseconds">Wall-clock time for tokenizing and running this input (a batch's time divided by its rows).</param>
public sealed record TextEmbedding(TextInput Input, string[] Tokens, int[] InputIds, float[] Vector, int Dimension, double Milliseconds);
