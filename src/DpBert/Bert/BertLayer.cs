using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// One post-LN transformer block, as Hugging Face's <c>BertLayer</c>:
/// <c>x1 = LN(x + Attention(x) Wo + bo)</c>, <c>y = LN(x1 + GELU(x1 Wi + bi) Wo2 + bo2)</c>.
/// The sub-blocks keep Hugging Face's names: <c>attention.self</c>, <c>attention.output</c>,
/// <c>intermediate</c>, <c>output</c>.
/// </summary>
public sealed class BertLayer
{
    private readonly ParameterSet _p;
    private readonly BertConfig _config;
    private readonly ParameterInfo _attentionLnWeight, _attentionLnBias, _outputLnWeight, _outputLnBias;

    /// <summary>Index of this layer in the encoder.</summary>
    public int Index { get; }
    /// <summary><c>attention.self</c>.</summary>
    public BertSelfAttention SelfAttention { get; }
    /// <summary><c>attention.output.dense</c>.</summary>
    public Linear AttentionOutput { get; }
    /// <summary><c>intermediate.dense</c>.</summary>
    public Linear Intermediate { get; }
    /// <summary><c>output.dense</c>.</summary>
    public Linear Output { get; }

    /// <summary>Binds to <c>{prefix}encoder.layer.{index}.*</c>.</summary>
    public BertLayer(ParameterSet parameters, BertConfig config, int index, string prefix = "bert.")
    {
        _p = parameters;
        _config = config;
        Index = index;
        string l = $"{prefix}encoder.layer.{index}.";
        SelfAttention = new BertSelfAttention(parameters, config, l);
        AttentionOutput = new Linear(parameters, l + "attention.output.dense");
        _attentionLnWeight = parameters.Info(l + "attention.output.LayerNorm.weight");
        _attentionLnBias = parameters.Info(l + "attention.output.LayerNorm.bias");
        Intermediate = new Linear(parameters, l + "intermediate.dense");
        Output = new Linear(parameters, l + "output.dense");
        _outputLnWeight = parameters.Info(l + "output.LayerNorm.weight");
        _outputLnBias = parameters.Info(l + "output.LayerNorm.bias");
    }

    /// <summary>
    /// Runs the block in place on <c>ws.Hidden</c> for the first <c>B*S</c> tokens (inference: no dropout), its Linear
    /// layers in <paramref name="precision"/>.
    /// </summary>
    public void Forward(BertActivations ws, int batchSize, int seqLen, InferencePrecision precision = InferencePrecision.Float32)
    {
        ForwardAttentionBlock(ws, batchSize, seqLen, precision);
        ForwardFeedForwardBlock(ws, batchSize, seqLen, precision);
    }

    /// <summary>The first half of <see cref="Forward"/>: <c>x1 = LN(x + Attention(x) Wo + bo)</c>, in place.</summary>
    internal void ForwardAttentionBlock(BertActivations ws, int batchSize, int seqLen, InferencePrecision precision)
    {
        if (GroupsPay(batchSize, seqLen, out int groupSize, out int groups))
        {
            ForwardAttentionBlockBySequenceGroups(ws, batchSize, seqLen, precision, groupSize, groups);
            return;
        }
        int tokens = batchSize * seqLen, h = _config.HiddenSize;
        var x = ws.Hidden.AsSpan(0, tokens * h);
        SelfAttention.Forward(ws.Context, ws.QueryKeyValue, x, ws.AdditiveMask, batchSize, seqLen, precision);
        // x = LN(x + context Wo^T + bo): the residual is accumulated into x itself.
        AttentionOutput.Forward(x, ws.Context, tokens, precision, accumulate: true, gelu: false);
        using (OpProfile.Measure("layernorm"))
            RowKernels.LayerNorm(ws.Hidden, _p.Data, (int)_attentionLnWeight.Offset, (int)_attentionLnBias.Offset, tokens, h, _config.LayerNormEps);
    }

    /// <summary>
    /// Whether <see cref="ForwardAttentionBlock"/> may split a batch into groups of whole sequences (about
    /// <see cref="GroupRows"/> rows each), one task per group running the group's Q, K, V GEMM, its heads, its output GEMM
    /// and its LayerNorm on one thread (default on; the benchmarks turn it off to compare). It does so with the managed
    /// GEMMs, when there are at least four groups per thread and the block's weights are at most
    /// <see cref="GroupedWeightBytes"/>, since every group reads them again. The results are the same bits either way: every
    /// row goes through the same kernels. What changes is where the Q, K, V and context rows are when they are read again:
    /// in the L2 of the core that wrote them, instead of a buffer of several MB written by both cores through L3. Measured on Zen 5 (benchmarks `sequence-groups`,
    /// interleaved, medians, two runs): BERT-mini b32x64 0.954 and 0.977 of the time, MiniLM b32x64 0.949 and 0.960, MiniLM
    /// b8x128 0.980 and 1.015, and BERT-base, whose block weighs 9 MiB, 1.009 at b8x128 and 1.003 at b32x128 (a run
    /// without the weight bound).
    /// </summary>
    internal static bool AttentionBySequenceGroups = true;

    /// <summary>Rows (tokens) per group of sequences, at least one sequence.</summary>
    internal const int GroupRows = 128;

    /// <summary>
    /// The attention block's fp32 weights (4 H^2 floats) at most for the grouped path: MiniLM's 2.25 MiB and BERT-mini's
    /// 1 MiB, not BERT-base's 9 MiB. The same bound holds in int8 and bf16, whose weights are smaller: only fp32 was measured.
    /// </summary>
    internal const long GroupedWeightBytes = 4L << 20;

    private readonly AttentionBlockWork _attentionBlockWork = new();

    /// <summary>Attention blocks this layer has run by sequence groups (tests check that the grouped path ran).</summary>
    internal long GroupedRuns { get; private set; }

    private bool GroupsPay(int batchSize, int seqLen, out int groupSize, out int groups)
    {
        groupSize = Math.Max(1, GroupRows / Math.Max(1, seqLen));
        groups = (batchSize + groupSize - 1) / groupSize;
        // Inside a parallel task the GEMMs run on the managed kernels whatever the backend, so only the managed backend
        // groups: with OpenBLAS the grouped rows would take other kernels than the whole batch (other bits, packing per call).
        return AttentionBySequenceGroups && seqLen > 0 && Gemm.Backend == GemmBackend.Managed
            && 4L * _config.HiddenSize * _config.HiddenSize * sizeof(float) <= GroupedWeightBytes
            && ComputePool.Parallelism > 1 && !ComputePool.IsInsideParallelWork && groups >= 4 * ComputePool.Parallelism;
    }

    private void ForwardAttentionBlockBySequenceGroups(BertActivations ws, int batchSize, int seqLen, InferencePrecision precision, int groupSize, int groups)
    {
        int tokens = batchSize * seqLen, h = _config.HiddenSize;
        double flops = 2.0 * tokens * h * 4 * h + 4.0 * batchSize * seqLen * seqLen * h;
        using var profile = OpProfile.Measure("attention block by sequence groups", flops);
        GroupedRuns++;
        SelfAttention.PrepareSequences(ws.Context, ws.QueryKeyValue, ws.AdditiveMask, seqLen, precision);
        AttentionOutput.Prepare(precision);
        _attentionBlockWork.Set(this, ws, batchSize, seqLen, precision, groupSize);
        ComputePool.Run(_attentionBlockWork, groups);
        _attentionBlockWork.Set(this, null!, 0, 0, precision, 1);
    }

    private sealed class AttentionBlockWork : ParallelWork
    {
        private BertLayer _layer = null!;
        private BertActivations _ws = null!;
        private int _batch, _seqLen, _group;
        private InferencePrecision _precision;

        public void Set(BertLayer layer, BertActivations ws, int batch, int seqLen, InferencePrecision precision, int group) =>
            (_layer, _ws, _batch, _seqLen, _precision, _group) = (layer, ws, batch, seqLen, precision, group);

        public override void Execute(int index)
        {
            int b0 = index * _group, b1 = Math.Min(_batch, b0 + _group), h = _layer._config.HiddenSize;
            int first = b0 * _seqLen, rows = (b1 - b0) * _seqLen;
            var x = _ws.Hidden.AsSpan(first * h, rows * h);
            _layer.SelfAttention.ForwardSequences(x, b0, b1, _precision);
            _layer.AttentionOutput.Forward(x, _ws.Context.AsSpan(first * h, rows * h), rows, _precision, accumulate: true, gelu: false);
            var p = _layer._p;
            Tensors.LayerNorm.Forward(x, default, default, x, p.Span(_layer._attentionLnWeight), p.Span(_layer._attentionLnBias), rows, h, _layer._config.LayerNormEps);
        }
    }

    /// <summary>The second half of <see cref="Forward"/>: <c>y = LN(x1 + GELU(x1 Wi + bi) Wo2 + bo2)</c>, in place.</summary>
    internal void ForwardFeedForwardBlock(BertActivations ws, int batchSize, int seqLen, InferencePrecision precision)
    {
        int tokens = batchSize * seqLen, h = _config.HiddenSize;
        var x = ws.Hidden.AsSpan(0, tokens * h);
        // GELU(x Wi^T + bi), applied to each tile as the GEMM finishes it
        var inter = ws.Intermediate.AsSpan(0, tokens * _config.IntermediateSize);
        Intermediate.Forward(inter, x, tokens, precision, accumulate: false, gelu: true);
        // x = LN(x + GELU(...) Wo2^T + bo2)
        Output.Forward(x, inter, tokens, precision, accumulate: true, gelu: false);
        using (OpProfile.Measure("layernorm"))
            RowKernels.LayerNorm(ws.Hidden, _p.Data, (int)_outputLnWeight.Offset, (int)_outputLnBias.Offset, tokens, h, _config.LayerNormEps);
    }

    /// <summary>
    /// Training forward from <paramref name="x"/> (T, H): every intermediate is saved in <paramref name="acts"/>,
    /// the output in <see cref="BertLayerActivations.Output"/>. Dropout masks come from <paramref name="seed"/>.
    /// </summary>
    public void ForwardTraining(BertLayerActivations acts, float[] x, float[] additiveMask, int batchSize, int seqLen, ulong seed)
    {
        int t = batchSize * seqLen, h = _config.HiddenSize, inter = _config.IntermediateSize;
        float pHidden = _config.HiddenDropoutProb, pAttention = _config.AttentionProbsDropoutProb;
        var input = x.AsSpan(0, t * h);
        acts.DropoutSeed = seed;
        SelfAttention.ForwardTraining(acts, input, additiveMask, batchSize, seqLen, pAttention, Dropout.Hash(seed, 1));
        // Residual1 = dropout(context Wo^T + bo) + x; Normed1 = LN(Residual1)
        var r1 = acts.Residual1.AsSpan(0, t * h);
        AttentionOutput.Forward(r1, acts.Context, t);
        using (OpProfile.Measure("dropout + residual + layernorm"))
        {
            Dropout.Forward(r1, pHidden, Dropout.Hash(seed, 2));
            Elementwise.AddInPlace(r1, input);
            LayerNorm.Forward(acts.Normed1, acts.Mean1, acts.Rstd1, r1, _p.Span(_attentionLnWeight), _p.Span(_attentionLnBias), t, h, _config.LayerNormEps);
        }
        // Gelu = gelu(Normed1 Wi^T + bi)
        Intermediate.Forward(acts.PreGelu, acts.Normed1, t);
        using (OpProfile.Measure("gelu"))
            Tensors.Gelu.Forward(acts.Gelu.AsSpan(0, t * inter), acts.PreGelu.AsSpan(0, t * inter));
        // Residual2 = dropout(Gelu Wo2^T + bo2) + Normed1; Output = LN(Residual2)
        var r2 = acts.Residual2.AsSpan(0, t * h);
        Output.Forward(r2, acts.Gelu, t);
        using (OpProfile.Measure("dropout + residual + layernorm"))
        {
            Dropout.Forward(r2, pHidden, Dropout.Hash(seed, 3));
            Elementwise.AddInPlace(r2, acts.Normed1.AsSpan(0, t * h));
            LayerNorm.Forward(acts.Output, acts.Mean2, acts.Rstd2, r2, _p.Span(_outputLnWeight), _p.Span(_outputLnBias), t, h, _config.LayerNormEps);
        }
    }

    /// <summary>
    /// Backward: <paramref name="dOutput"/> (T, H) is the gradient of the layer output (consumed);
    /// <paramref name="dx"/> (T, H) receives the gradient of the layer input (accumulated);
    /// parameter gradients accumulate into <paramref name="grads"/>.
    /// </summary>
    public void Backward(float[] dx, float[] dOutput, ParameterSet grads, BertLayerActivations acts, float[] x, int batchSize, int seqLen)
    {
        int t = batchSize * seqLen, h = _config.HiddenSize, inter = _config.IntermediateSize;
        float pHidden = _config.HiddenDropoutProb;
        var dy = dOutput.AsSpan(0, t * h);
        // Second LayerNorm: dResidual2 = LN2'(dy)
        var dR = acts.GradResidual.AsSpan(0, t * h);
        var dNormed = acts.GradNormed1.AsSpan(0, t * h);
        var dGelu = acts.GradIntermediate.AsSpan(0, t * inter);
        using (OpProfile.Measure("layernorm + dropout bwd"))
        {
            dR.Clear();
            LayerNormBackward.Backward(dR, grads.Span(_outputLnWeight), grads.Span(_outputLnBias), dy, acts.Residual2, _p.Span(_outputLnWeight), acts.Mean2, acts.Rstd2, t, h);
            // The residual carries dResidual2 to Normed1; the dense branch goes through dropout.
            dR.CopyTo(dNormed);
            Dropout.Backward(dR, pHidden, Dropout.Hash(acts.DropoutSeed, 3));
            dGelu.Clear();
        }
        Output.Backward(dGelu, grads, dR, acts.Gelu, t);
        using (OpProfile.Measure("gelu bwd"))
            ActivationBackward.GeluInPlace(dGelu, acts.PreGelu.AsSpan(0, t * inter));
        Intermediate.Backward(dNormed, grads, dGelu, acts.Normed1, t);
        // First LayerNorm: dResidual1 = LN1'(dNormed1); the residual carries it to x.
        var dInput = dx.AsSpan(0, t * h);
        var dContext = acts.GradContext.AsSpan(0, t * h);
        using (OpProfile.Measure("layernorm + dropout bwd"))
        {
            dR.Clear();
            LayerNormBackward.Backward(dR, grads.Span(_attentionLnWeight), grads.Span(_attentionLnBias), dNormed, acts.Residual1, _p.Span(_attentionLnWeight), acts.Mean1, acts.Rstd1, t, h);
            Elementwise.AddInPlace(dInput, dR);
            Dropout.Backward(dR, pHidden, Dropout.Hash(acts.DropoutSeed, 2));
            dContext.Clear();
        }
        AttentionOutput.Backward(dContext, grads, dR, acts.Context, t);
        SelfAttention.Backward(dInput, grads, acts, x.AsSpan(0, t * h), batchSize, seqLen, _config.AttentionProbsDropoutProb, Dropout.Hash(acts.DropoutSeed, 1));
    }
}
