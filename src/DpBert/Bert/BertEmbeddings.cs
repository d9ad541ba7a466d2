using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// Hugging Face's <c>BertEmbeddings</c>: <c>LayerNorm(word[ids] + position[0..S-1] + token_type[tt])</c>
/// (dropout follows in training).
/// </summary>
public sealed unsafe class BertEmbeddings
{
    private readonly ParameterSet _p;
    private readonly BertConfig _config;
    private readonly ParameterInfo _word, _position, _tokenType, _lnWeight, _lnBias;

    /// <summary>Binds to the <c>{prefix}embeddings.*</c> parameters.</summary>
    public BertEmbeddings(ParameterSet parameters, BertConfig config, string prefix = "bert.")
    {
        _p = parameters;
        _config = config;
        string e = prefix + "embeddings.";
        _word = parameters.Info(e + "word_embeddings.weight");
        _position = parameters.Info(e + "position_embeddings.weight");
        _tokenType = parameters.Info(e + "token_type_embeddings.weight");
        _lnWeight = parameters.Info(e + "LayerNorm.weight");
        _lnBias = parameters.Info(e + "LayerNorm.bias");
    }

    /// <summary>Writes the embedding output for every token of <paramref name="batch"/>.</summary>
    /// <param name="output">(B*S, H).</param>
    /// <param name="batch">Validated input ids and segments.</param>
    public void Forward(Span<float> output, BertBatch batch)
    {
        using var profile = OpProfile.Measure("embeddings");
        // Token blocks across the pool, each summed and normalised while its rows are in L1 (one pass of its own each
        // was a single-threaded 2.4% of a BERT-mini b32x64 forward: `benchmarks profile --shape mini --batch 32 --seq 64`).
        var work = EmbeddingWork.Instance ??= new EmbeddingWork();
        work.Set(this, output.Length, batch);
        fixed (float* p = output)
        {
            work.Output = p;
            RowKernels.Run(work, batch.TokenCount, _config.HiddenSize);
        }
        work.Set(null, 0, null);
    }

    /// <summary><c>output[t] = word[ids[t]] + position[t mod S] + token_type[tt[t]]</c> for tokens <c>[first, end)</c>; <paramref name="output"/> starts at token 0.</summary>
    private void Sum(Span<float> output, BertBatch batch, int first, int end)
    {
        int h = _config.HiddenSize, s = batch.SequenceLength;
        var word = _p.Span(_word);
        var position = _p.Span(_position);
        var tokenType = _p.Span(_tokenType);
        for (int t = first; t < end; t++)
        {
            var row = output.Slice(t * h, h);
            word.Slice(batch.InputIds[t] * h, h).CopyTo(row);
            Elementwise.AddInPlace(row, position.Slice(t % s * h, h));
            Elementwise.AddInPlace(row, tokenType.Slice(batch.TokenTypeIds[t] * h, h));
        }
    }

    /// <summary>The inference forward of a block of tokens: their sums, then their LayerNorm.</summary>
    private sealed unsafe class EmbeddingWork : RowKernels.BlockWork
    {
        [ThreadStatic] public static EmbeddingWork? Instance;
        private BertEmbeddings? _owner;
        private BertBatch? _batch;
        private int _length;
        public float* Output;

        public void Set(BertEmbeddings? owner, int length, BertBatch? batch) => (_owner, _length, _batch) = (owner, length, batch);

        protected override void ExecuteRows(int first, int end)
        {
            var e = _owner!;
            int h = e._config.HiddenSize;
            var output = new Span<float>(Output, _length);
            e.Sum(output, _batch!, first, end);
            var rows = output.Slice(first * h, (end - first) * h);
            LayerNorm.Forward(rows, default, default, rows, e._p.Span(e._lnWeight), e._p.Span(e._lnBias), end - first, h, e._config.LayerNormEps);
        }
    }

    /// <summary>
    /// Training forward: saves the pre-LayerNorm sum, its statistics and the dropout mask; the output (after
    /// dropout) goes to <see cref="BertTrainingActivations.EmbeddingOutput"/>.
    /// </summary>
    public void ForwardTraining(BertTrainingActivations acts, BertBatch batch, float dropout, ulong seed)
    {
        using var profile = OpProfile.Measure("embeddings");
        int h = _config.HiddenSize, t = batch.TokenCount;
        var sum = acts.EmbeddingSum.AsSpan(0, t * h);
        Sum(sum, batch, 0, t);
        var output = acts.EmbeddingOutput.AsSpan(0, t * h);
        LayerNorm.Forward(output, acts.EmbeddingMean, acts.EmbeddingRstd, sum, _p.Span(_lnWeight), _p.Span(_lnBias), t, h, _config.LayerNormEps);
        acts.EmbeddingDropoutSeed = seed;
        Dropout.Forward(output, dropout, seed);
    }

    /// <summary>
    /// Backward: <paramref name="dOutput"/> (T, H) is consumed (overwritten); gradients go to the word rows
    /// of the batch's ids (never to the padding row, as <c>nn.Embedding(padding_idx)</c>), the positions and
    /// the token types. <paramref name="scratch"/> is a (T, H) buffer.
    /// </summary>
    public void Backward(ParameterSet grads, float[] dOutput, float[] scratch, BertTrainingActivations acts, BertBatch batch, float dropout)
    {
        using var profile = OpProfile.Measure("embeddings bwd");
        int h = _config.HiddenSize, s = batch.SequenceLength, t = batch.TokenCount;
        var dOut = dOutput.AsSpan(0, t * h);
        Dropout.Backward(dOut, dropout, acts.EmbeddingDropoutSeed);
        var dSum = scratch.AsSpan(0, t * h);
        dSum.Clear();
        LayerNormBackward.Backward(dSum, grads.Span(_lnWeight), grads.Span(_lnBias), dOut, acts.EmbeddingSum, _p.Span(_lnWeight),
            acts.EmbeddingMean, acts.EmbeddingRstd, t, h);
        var dWord = grads.Span(_word);
        var dPosition = grads.Span(_position);
        var dTokenType = grads.Span(_tokenType);
        for (int i = 0; i < t; i++)
        {
            var row = dSum.Slice(i * h, h);
            int id = batch.InputIds[i];
            if (id != _config.PadTokenId) Elementwise.AddInPlace(dWord.Slice(id * h, h), row);
            Elementwise.AddInPlace(dPosition.Slice(i % s * h, h), row);
            Elementwise.AddInPlace(dTokenType.Slice(batch.TokenTypeIds[i] * h, h), row);
        }
    }
}
