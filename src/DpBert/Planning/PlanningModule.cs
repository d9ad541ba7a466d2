using DpBert.Bert;
using DpBert.Tensors;

namespace DpBert.Planning;

/// <summary>
/// DPBERT's planner (our design; the paper's method section is not available): a small MLP that reads the
/// [CLS] hidden state (or the mean of the real tokens' states, <see cref="Input"/>) after the first
/// <see cref="AlwaysRunLayers"/> layers and gives one logit per remaining layer, <c>H -> H/4 (GELU) -> L - k</c>.
/// The whole plan is decided at once, before those layers run.
/// Parameters live in their own block under the keys <c>planner.hidden.*</c> and <c>planner.output.*</c> (and, with
/// <see cref="DepthHeads"/>, a classifier per plan length under <c>planner.depth_head.*</c>).
/// </summary>
public sealed class PlanningModule
{
    private readonly int _hidden, _inner;
    private float[] _input = [], _mid = [], _logits = [], _pre = [], _dMid = [], _dInput = [];
    private int[] _mask = [];

    /// <summary>Layers that always run before the plan is made (k).</summary>
    public int AlwaysRunLayers { get; }
    /// <summary>What the planner reads: [CLS] or the mean of the real tokens.</summary>
    public TokenPooling Input { get; }
    /// <summary>Layers the planner decides about (L - k).</summary>
    public int PlannedLayers { get; }
    /// <summary>The planner's parameters.</summary>
    public ParameterSet Parameters { get; }
    /// <summary><c>planner.hidden</c>: H to H/4.</summary>
    public Linear Hidden { get; }
    /// <summary><c>planner.output</c>: H/4 to L - k.</summary>
    public Linear Output { get; }
    /// <summary>A classifier per plan length, used instead of the model's own head; null when the plans share the model's head.</summary>
    public DepthHeads? DepthHeads { get; }

    /// <summary>
    /// A zero-initialised planner for <paramref name="config"/> that always runs the first <paramref name="alwaysRunLayers"/> layers
    /// and reads <paramref name="input"/>; with <paramref name="depthHeads"/>, it has a classifier per plan length (<see cref="Planning.DepthHeads"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k is not in [1, L).</exception>
    public PlanningModule(BertConfig config, int alwaysRunLayers = 1, TokenPooling input = TokenPooling.Cls, bool depthHeads = false)
    {
        CheckAlwaysRunLayers(alwaysRunLayers, config.NumHiddenLayers);
        AlwaysRunLayers = alwaysRunLayers;
        Input = input;
        PlannedLayers = config.NumHiddenLayers - alwaysRunLayers;
        _hidden = config.HiddenSize;
        _inner = Math.Max(1, config.HiddenSize / 4);
        Parameters = new ParameterSet(Layout(config, alwaysRunLayers, depthHeads));
        Hidden = new Linear(Parameters, "planner.hidden");
        Output = new Linear(Parameters, "planner.output");
        if (depthHeads) DepthHeads = new DepthHeads(Parameters, config, alwaysRunLayers);
    }

    /// <summary>
    /// Checks k against a model of <paramref name="layers"/> layers. k = 0 is refused: before any layer, the [CLS]
    /// vector is the sum of the [CLS] token, position 0 and segment 0 embeddings, the same for every input, so the
    /// planner would give every input the same plan.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k is not in [1, L); the message says why.</exception>
    public static void CheckAlwaysRunLayers(int alwaysRunLayers, int layers)
    {
        if (alwaysRunLayers == 0)
            throw new ArgumentOutOfRangeException(nameof(alwaysRunLayers), "--always-run-layers 0: before any layer the [CLS] vector is the same for every input (token, position 0 and segment embeddings), so the planner could not tell inputs apart; use 1 or more");
        if (alwaysRunLayers < 1 || alwaysRunLayers >= layers)
            throw new ArgumentOutOfRangeException(nameof(alwaysRunLayers), $"--always-run-layers {alwaysRunLayers} must be in [1, {layers}) for a model of {layers} layers");
    }

    /// <summary>The planner's keys and shapes.</summary>
    public static IEnumerable<(string Name, int[] Shape)> Layout(BertConfig config, int alwaysRunLayers, bool depthHeads = false)
    {
        int h = config.HiddenSize, inner = Math.Max(1, h / 4), planned = config.NumHiddenLayers - alwaysRunLayers;
        yield return ("planner.hidden.weight", [inner, h]);
        yield return ("planner.hidden.bias", [inner]);
        yield return ("planner.output.weight", [planned, inner]);
        yield return ("planner.output.bias", [planned]);
        if (!depthHeads) yield break;
        foreach (var head in Planning.DepthHeads.Layout(config, alwaysRunLayers)) yield return head;
    }

    /// <summary>
    /// Logits (B, L - k) from <paramref name="hidden"/> (B*S, H): its [CLS] rows, or the mean of each input's real tokens
    /// (<paramref name="attentionMask"/>, B*S, 1 for a real token; only read for <see cref="TokenPooling.Mean"/>).
    /// </summary>
    public float[] Logits(ReadOnlySpan<float> hidden, ReadOnlySpan<int> attentionMask, int batchSize, int seqLen)
    {
        int b = batchSize;
        Buffers.Ensure(ref _mid, b * _inner); Buffers.Ensure(ref _logits, b * PlannedLayers);
        Gather(hidden, attentionMask, b, seqLen);
        Hidden.Forward(_mid, _input, b);
        Gelu.Forward(_mid.AsSpan(0, b * _inner), _mid.AsSpan(0, b * _inner));
        Output.Forward(_logits, _mid, b);
        return _logits.AsSpan(0, b * PlannedLayers).ToArray();
    }

    /// <summary>
    /// Training forward: like <see cref="Logits"/>, keeping what <see cref="Backward"/> needs (one batch at a time).
    /// </summary>
    public float[] ForwardTraining(ReadOnlySpan<float> hidden, ReadOnlySpan<int> attentionMask, int batchSize, int seqLen)
    {
        int b = batchSize;
        Buffers.Ensure(ref _pre, b * _inner); Buffers.Ensure(ref _mid, b * _inner); Buffers.Ensure(ref _logits, b * PlannedLayers);
        Gather(hidden, attentionMask, b, seqLen);
        Hidden.Forward(_pre, _input, b);
        Gelu.Forward(_mid.AsSpan(0, b * _inner), _pre.AsSpan(0, b * _inner));
        Output.Forward(_logits, _mid, b);
        return _logits.AsSpan(0, b * PlannedLayers).ToArray();
    }

    /// <summary>
    /// Backward of the last <see cref="ForwardTraining"/>: parameter gradients accumulate into <paramref name="grads"/>
    /// (a set shaped like <see cref="Parameters"/>) and the gradient of the planner's input is added to
    /// <paramref name="dHidden"/> (B*S, H): to each [CLS] row, or shared equally by the real tokens of each input.
    /// </summary>
    public void Backward(ParameterSet grads, ReadOnlySpan<float> dLogits, Span<float> dHidden, int batchSize, int seqLen)
    {
        int b = batchSize;
        Buffers.Ensure(ref _dMid, b * _inner); Buffers.Ensure(ref _dInput, b * _hidden);
        var dMid = _dMid.AsSpan(0, b * _inner);
        var dInput = _dInput.AsSpan(0, b * _hidden);
        dMid.Clear(); dInput.Clear();
        Output.Backward(dMid, grads, dLogits, _mid, b);
        ActivationBackward.GeluInPlace(dMid, _pre.AsSpan(0, b * _inner));
        Hidden.Backward(dInput, grads, dMid, _input, b);
        TokenPoolings.Backward(Input, dHidden, dInput, _mask, b, seqLen, _hidden);
    }

    // The planner's input rows (B, H): [CLS], or the mean of the real tokens (the mask kept for the backward pass).
    private void Gather(ReadOnlySpan<float> hidden, ReadOnlySpan<int> attentionMask, int b, int seqLen)
    {
        Buffers.Ensure(ref _input, b * _hidden);
        if (Input == TokenPooling.Mean)
        {
            Buffers.Ensure(ref _mask, b * seqLen);
            attentionMask[..(b * seqLen)].CopyTo(_mask);
        }
        TokenPoolings.Summarize(Input, _input, hidden, Input == TokenPooling.Mean ? _mask : default, b, seqLen, _hidden);
    }

    /// <summary>
    /// The plans for the batch: the first k layers always run; planned layer i runs when
    /// <c>sigmoid(logit_i) &gt; theta</c>. <paramref name="theta"/> trades accuracy for latency without retraining.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="theta"/> is not in (0, 1).</exception>
    public IReadOnlyList<LayerPlan> Plans(float[] logits, int batchSize, double theta) => Plans(logits, batchSize, AlwaysRunLayers, PlannedLayers, theta);

    /// <summary>
    /// The plans that planner logits (B rows of <paramref name="plannedLayers"/>, row-major) give: the first
    /// <paramref name="alwaysRunLayers"/> layers always run; planned layer i runs when <c>sigmoid(logit_i) &gt; theta</c>,
    /// computed in double. Every engine decides through this one rule (DpBert.TorchSharp too), so equal logits give equal plans.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="theta"/> is not in (0, 1).</exception>
    public static LayerPlan[] Plans(ReadOnlySpan<float> logits, int batchSize, int alwaysRunLayers, int plannedLayers, double theta)
    {
        DpBertMethod.CheckTheta(theta);
        var plans = new LayerPlan[batchSize];
        for (int r = 0; r < batchSize; r++)
        {
            var runs = new bool[alwaysRunLayers + plannedLayers];
            for (int l = 0; l < alwaysRunLayers; l++) runs[l] = true;
            for (int i = 0; i < plannedLayers; i++)
                runs[alwaysRunLayers + i] = 1.0 / (1.0 + Math.Exp(-logits[r * plannedLayers + i])) > theta;
            plans[r] = new LayerPlan(runs);
        }
        return plans;
    }
}
