using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// Hugging Face's <c>BertSelfAttention</c>: Q, K, V projections (separate keys, as in the checkpoints),
/// then per sequence and head <c>softmax(Q K^T / sqrt(d) + mask) V</c>. Heads are computed in parallel.
/// </summary>
public sealed class BertSelfAttention
{
    private readonly int _heads, _headSize, _hidden;
    private readonly AttentionHeadsWork _work = new();
    private readonly TrainingHeadsWork _trainingWork = new();

    /// <summary>Query projection.</summary>
    public Linear Query { get; }
    /// <summary>Key projection.</summary>
    public Linear Key { get; }
    /// <summary>Value projection.</summary>
    public Linear Value { get; }

    /// <summary>Binds to <c>{layerPrefix}attention.self.{query,key,value}</c>.</summary>
    public BertSelfAttention(ParameterSet parameters, BertConfig config, string layerPrefix)
    {
        _heads = config.NumAttentionHeads;
        _headSize = config.HeadSize;
        _hidden = config.HiddenSize;
        Query = new Linear(parameters, layerPrefix + "attention.self.query");
        Key = new Linear(parameters, layerPrefix + "attention.self.key");
        Value = new Linear(parameters, layerPrefix + "attention.self.value");
        _queryKeyValue = new LinearWeights(parameters, [Query.Weight, Key.Weight, Value.Weight], [Query.Bias, Key.Bias, Value.Bias],
            "fwd attention.self.query+key+value");
    }

    private readonly LinearWeights _queryKeyValue;   // Q, K and V stacked: one GEMM for the three at inference

    /// <summary>Computes the attention context for <paramref name="batchSize"/> sequences of <paramref name="seqLen"/> tokens.</summary>
    /// <param name="context">Output (B*S, H), heads side by side as Hugging Face concatenates them.</param>
    /// <param name="queryKeyValue">Scratch (B*S, 3H): each token's query, key and value, side by side.</param>
    /// <param name="x">Layer input (B*S, H).</param>
    /// <param name="additiveMask">(B, S): 0 for real keys, <see cref="float.MinValue"/> for padding.</param>
    /// <param name="batchSize">B.</param>
    /// <param name="seqLen">S.</param>
    /// <param name="precision">Arithmetic of the Q, K, V projection (the attention itself is fp32).</param>
    public void Forward(float[] context, float[] queryKeyValue, ReadOnlySpan<float> x, float[] additiveMask, int batchSize, int seqLen,
        InferencePrecision precision = InferencePrecision.Float32)
    {
        Project(queryKeyValue, x, batchSize * seqLen, precision);
        RunHeads(context, queryKeyValue, additiveMask, batchSize, seqLen);
    }

    /// <summary>
    /// Sequences <c>[b0, b1)</c> on the calling thread: their rows' Q, K, V (<paramref name="x"/> holds those rows only),
    /// then their heads, in the buffers and at the length <see cref="PrepareSequences"/> was given. For a caller that
    /// splits a batch into groups of sequences across the pool itself (<see cref="BertLayer"/>).
    /// </summary>
    internal void ForwardSequences(ReadOnlySpan<float> x, int b0, int b1, InferencePrecision precision)
    {
        int seqLen = _work.SeqLen, rows = (b1 - b0) * seqLen;
        _queryKeyValue.Forward(_work.QueryKeyValue.AsSpan(b0 * seqLen * 3 * _hidden, rows * 3 * _hidden), 3 * _hidden, x, _hidden, rows, precision, accumulate: false, gelu: false);
        for (int b = b0; b < b1; b++)
            for (int head = 0; head < _heads; head++) _work.Execute(b * _heads + head);
    }

    /// <summary>Readies <see cref="ForwardSequences"/> for calls from parallel tasks: the weights in <paramref name="precision"/> built, the buffers and the sequence length set.</summary>
    internal void PrepareSequences(float[] context, float[] queryKeyValue, float[] additiveMask, int seqLen, InferencePrecision precision)
    {
        _queryKeyValue.Prepare(precision);
        _work.Set(context, queryKeyValue, additiveMask, seqLen, _heads, _headSize, _hidden);
    }

    /// <summary>Each token's query, key and value, side by side in <paramref name="queryKeyValue"/> (T, 3H): one GEMM.</summary>
    internal void Project(float[] queryKeyValue, ReadOnlySpan<float> x, int tokens, InferencePrecision precision) =>
        _queryKeyValue.Forward(queryKeyValue, 3 * _hidden, x, _hidden, tokens, precision, accumulate: false, gelu: false);

    /// <summary>Scores, masked softmax and context for every (sequence, head), from the stacked Q, K, V (B*S, 3H).</summary>
    internal void RunHeads(float[] context, float[] queryKeyValue, float[] additiveMask, int batchSize, int seqLen)
    {
        using var profile = OpProfile.Measure("attention", 4.0 * batchSize * seqLen * seqLen * _hidden);
        _work.Set(context, queryKeyValue, additiveMask, seqLen, _heads, _headSize, _hidden);
        ComputePool.Run(_work, batchSize * _heads);
    }

    /// <summary>
    /// Training forward: saves Q, K, V, the attention probabilities before and after dropout and the
    /// context in <paramref name="acts"/>.
    /// </summary>
    public void ForwardTraining(BertLayerActivations acts, ReadOnlySpan<float> x, float[] additiveMask, int batchSize, int seqLen, float dropout, ulong seed)
    {
        int tokens = batchSize * seqLen;
        Query.Forward(acts.Query, x, tokens);
        Key.Forward(acts.Key, x, tokens);
        Value.Forward(acts.Value, x, tokens);
        using var profile = OpProfile.Measure("attention", 4.0 * batchSize * seqLen * seqLen * _hidden);
        _trainingWork.Set(backward: false, acts, additiveMask, seqLen, _heads, _headSize, _hidden, dropout, seed);
        ComputePool.Run(_trainingWork, batchSize * _heads);
    }

    /// <summary>
    /// Backward from <see cref="BertLayerActivations.GradContext"/>: accumulates the Q/K/V weight gradients and
    /// <c>dx</c> (the gradient of the layer input, (T, H)).
    /// </summary>
    public void Backward(Span<float> dx, ParameterSet grads, BertLayerActivations acts, ReadOnlySpan<float> x, int batchSize, int seqLen, float dropout, ulong seed)
    {
        int tokens = batchSize * seqLen, n = tokens * _hidden;
        using (OpProfile.Measure("attention bwd", 8.0 * batchSize * seqLen * seqLen * _hidden))
        {
            acts.GradQuery.AsSpan(0, n).Clear();
            acts.GradKey.AsSpan(0, n).Clear();
            acts.GradValue.AsSpan(0, n).Clear();
            _trainingWork.Set(backward: true, acts, [], seqLen, _heads, _headSize, _hidden, dropout, seed);
            ComputePool.Run(_trainingWork, batchSize * _heads);
        }
        Query.Backward(dx, grads, acts.GradQuery, x, tokens);
        Key.Backward(dx, grads, acts.GradKey, x, tokens);
        Value.Backward(dx, grads, acts.GradValue, x, tokens);
    }

    /// <summary>Training forward or backward for one (sequence, head) per task.</summary>
    private sealed class TrainingHeadsWork : ParallelWork
    {
        [ThreadStatic] private static float[]? _dProbabilities;
        [ThreadStatic] private static float[]? _dScores;
        private BertLayerActivations _acts = null!;
        private float[] _mask = [];
        private bool _backward;
        private int _seqLen, _heads, _headSize, _hidden;
        private float _scale, _dropout;
        private ulong _seed;

        public void Set(bool backward, BertLayerActivations acts, float[] mask, int seqLen, int heads, int headSize, int hidden, float dropout, ulong seed)
        {
            (_backward, _acts, _mask, _seqLen, _heads, _headSize, _hidden, _dropout, _seed) = (backward, acts, mask, seqLen, heads, headSize, hidden, dropout, seed);
            _scale = 1f / MathF.Sqrt(headSize);
        }

        public override void Execute(int index)
        {
            if (_backward) Backward(index); else Forward(index);
        }

        private void Forward(int index)
        {
            int b = index / _heads, s = _seqLen, d = _headSize, h = _hidden;
            int offset = b * s * h + index % _heads * d;                  // head slice, rows strided by H
            var p = _acts.Probabilities.AsSpan(index * s * s, s * s);    // (S, S)
            var pd = _acts.DroppedProbabilities.AsSpan(index * s * s, s * s);
            Gemm.Multiply(p, s, _acts.Query.AsSpan(offset), h, false, _acts.Key.AsSpan(offset), h, true, s, s, d);
            var mask = _mask.AsSpan(b * s, s);
            Softmax.ForwardRows(p, s, _scale, mask);
            p.CopyTo(pd);
            Dropout.Forward(pd, _dropout, Dropout.Hash(_seed, (ulong)index));
            Gemm.Multiply(_acts.Context.AsSpan(offset), h, pd, s, false, _acts.Value.AsSpan(offset), h, false, s, d, s);
        }

        private void Backward(int index)
        {
            int b = index / _heads, s = _seqLen, d = _headSize, h = _hidden;
            int offset = b * s * h + index % _heads * d;
            if (_dProbabilities is null || _dProbabilities.Length < s * s) { _dProbabilities = new float[s * s]; _dScores = new float[s * s]; }
            var dp = _dProbabilities.AsSpan(0, s * s);
            var ds = _dScores!.AsSpan(0, s * s);
            var p = _acts.Probabilities.AsSpan(index * s * s, s * s);
            var pd = _acts.DroppedProbabilities.AsSpan(index * s * s, s * s);
            var dContext = _acts.GradContext.AsSpan(offset);
            // dPd (S, S) = dContext_h (S, d) V_h^T; dV_h += Pd^T dContext_h
            Gemm.Multiply(dp, s, dContext, h, false, _acts.Value.AsSpan(offset), h, true, s, s, d);
            Gemm.Multiply(_acts.GradValue.AsSpan(offset), h, pd, s, true, dContext, h, false, s, d, s, accumulate: true);
            Dropout.Backward(dp, _dropout, Dropout.Hash(_seed, (ulong)index));
            ds.Clear();
            for (int i = 0; i < s; i++) ActivationBackward.Softmax(ds.Slice(i * s, s), dp.Slice(i * s, s), p.Slice(i * s, s), _scale);
            // dQ_h += dS K_h; dK_h += dS^T Q_h
            Gemm.Multiply(_acts.GradQuery.AsSpan(offset), h, ds, s, false, _acts.Key.AsSpan(offset), h, false, s, d, s, accumulate: true);
            Gemm.Multiply(_acts.GradKey.AsSpan(offset), h, ds, s, true, _acts.Query.AsSpan(offset), h, false, s, d, s, accumulate: true);
        }
    }

    /// <summary>One task per (sequence, head): scores, masked softmax, weighted sum of values.</summary>
    private sealed class AttentionHeadsWork : ParallelWork
    {
        [ThreadStatic] private static float[]? _scores;
        private float[] _context = [], _qkv = [], _mask = [];
        private int _seqLen, _heads, _headSize, _hidden;
        private float _scale;

        /// <summary>The Q, K, V buffer set last (the heads read it).</summary>
        public float[] QueryKeyValue => _qkv;
        /// <summary>The sequence length set last.</summary>
        public int SeqLen => _seqLen;

        public void Set(float[] context, float[] queryKeyValue, float[] mask, int seqLen, int heads, int headSize, int hidden)
        {
            (_context, _qkv, _mask) = (context, queryKeyValue, mask);
            (_seqLen, _heads, _headSize, _hidden) = (seqLen, heads, headSize, hidden);
            _scale = 1f / MathF.Sqrt(headSize);
        }

        public override void Execute(int index)
        {
            int b = index / _heads, h = index % _heads, s = _seqLen, ld = 3 * _hidden;
            if (_scores is null || _scores.Length < s * s) _scores = new float[Math.Max(s * s, 64 * 64)];
            var scores = _scores.AsSpan(0, s * s);                 // (S, S)
            int q = b * s * ld + h * _headSize;                    // head h of sequence b: rows strided by 3H
            int k = q + _hidden, v = q + 2 * _hidden;
            // scores = Q_bh (S, d) K_bh^T (d, S)
            Gemm.Multiply(scores, s, _qkv.AsSpan(q), ld, false, _qkv.AsSpan(k), ld, true, s, s, _headSize);
            var mask = _mask.AsSpan(b * s, s);
            Softmax.ForwardRows(scores, s, _scale, mask);
            // context_bh (S, d) = P (S, S) V_bh (S, d)
            Gemm.Multiply(_context.AsSpan(b * s * _hidden + h * _headSize), _hidden, scores, s, false, _qkv.AsSpan(v), ld, false, s, _headSize, s);
        }
    }
}
