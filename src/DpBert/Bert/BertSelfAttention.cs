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
    }

    /// <summary>Computes the attention context for <paramref name="batchSize"/> sequences of <paramref name="seqLen"/> tokens.</summary>
    /// <param name="context">Output (B*S, H), heads side by side as Hugging Face concatenates them.</param>
    /// <param name="q">Scratch for queries (B*S, H).</param>
    /// <param name="k">Scratch for keys (B*S, H).</param>
    /// <param name="v">Scratch for values (B*S, H).</param>
    /// <param name="x">Layer input (B*S, H).</param>
    /// <param name="additiveMask">(B, S): 0 for real keys, <see cref="float.MinValue"/> for padding.</param>
    /// <param name="batchSize">B.</param>
    /// <param name="seqLen">S.</param>
    public void Forward(float[] context, float[] q, float[] k, float[] v, ReadOnlySpan<float> x, float[] additiveMask, int batchSize, int seqLen)
    {
        int tokens = batchSize * seqLen;
        Query.Forward(q, x, tokens);
        Key.Forward(k, x, tokens);
        Value.Forward(v, x, tokens);
        _work.Set(context, q, k, v, additiveMask, seqLen, _heads, _headSize, _hidden);
        ComputePool.Run(_work, batchSize * _heads);
    }

    /// <summary>One task per (sequence, head): scores, masked softmax, weighted sum of values.</summary>
    private sealed class AttentionHeadsWork : ParallelWork
    {
        [ThreadStatic] private static float[]? _scores;
        private float[] _context = [], _q = [], _k = [], _v = [], _mask = [];
        private int _seqLen, _heads, _headSize, _hidden;
        private float _scale;

        public void Set(float[] context, float[] q, float[] k, float[] v, float[] mask, int seqLen, int heads, int headSize, int hidden)
        {
            (_context, _q, _k, _v, _mask) = (context, q, k, v, mask);
            (_seqLen, _heads, _headSize, _hidden) = (seqLen, heads, headSize, hidden);
            _scale = 1f / MathF.Sqrt(headSize);
        }

        public override void Execute(int index)
        {
            int b = index / _heads, h = index % _heads, s = _seqLen;
            if (_scores is null || _scores.Length < s * s) _scores = new float[Math.Max(s * s, 64 * 64)];
            var scores = _scores.AsSpan(0, s * s);                 // (S, S)
            int offset = b * s * _hidden + h * _headSize;          // head h of sequence b, rows strided by H
            // scores = Q_bh (S, d) K_bh^T (d, S)
            Gemm.Multiply(scores, s, _q.AsSpan(offset), _hidden, false, _k.AsSpan(offset), _hidden, true, s, s, _headSize);
            var mask = _mask.AsSpan(b * s, s);
            for (int i = 0; i < s; i++) Softmax.Forward(scores.Slice(i * s, s), _scale, mask);
            // context_bh (S, d) = P (S, S) V_bh (S, d)
            Gemm.Multiply(_context.AsSpan(offset), _hidden, scores, s, false, _v.AsSpan(offset), _hidden, false, s, _headSize, s);
        }
    }
}
