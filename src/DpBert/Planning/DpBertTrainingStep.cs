using DpBert.Bert;
using DpBert.Tensors;

namespace DpBert.Planning;

/// <summary>What one joint training step of planner and backbone saw.</summary>
/// <param name="Loss">Total loss.</param>
/// <param name="TaskLoss">Task loss against the labels (before blending with distillation).</param>
/// <param name="GateMean">Mean forward gate over the batch and the planned layers (the fraction that ran).</param>
/// <param name="Logits">Class scores (B, num_labels).</param>
public sealed record DpBertStepResult(float Loss, float TaskLoss, float GateMean, float[] Logits);

/// <summary>
/// Forward and backward of DPBERT's joint training (stage 2): the first k layers run; the planner reads [CLS]
/// and gives one logit per remaining layer; gates are straight-through hard Gumbel-sigmoid samples (or their
/// soft relaxation); each planned layer is <c>z * Layer(h) + (1 - z) * h</c>; the loss adds distillation from
/// the full-depth model's logits and the budget penalty <c>lambda * (mean gate - rho)^2</c>. Gradients
/// accumulate into the backbone's and the planner's gradient sets.
/// </summary>
public sealed class DpBertTrainingStep
{
    private readonly BertForSequenceClassification _model;
    private readonly PlanningModule _planner;
    private readonly GatedEncoder _encoder;
    private readonly BertTrainingActivations _acts;
    private float[] _gates = [], _soft = [], _dGates = [], _column = [], _dColumn = [];

    /// <summary>Prepares steps for a backbone and its planner.</summary>
    public DpBertTrainingStep(BertForSequenceClassification model, PlanningModule planner)
    {
        if (planner.AlwaysRunLayers + planner.PlannedLayers != model.Config.NumHiddenLayers)
            throw new ArgumentException($"the planner covers {planner.AlwaysRunLayers + planner.PlannedLayers} layers; the model has {model.Config.NumHiddenLayers}", nameof(planner));
        _model = model;
        _planner = planner;
        _encoder = new GatedEncoder(model.Bert);
        _acts = new BertTrainingActivations(model.Config);
    }

    /// <summary>The gates (B, L - k) of the last step, as used in the forward pass.</summary>
    public ReadOnlySpan<float> LastGates => _gates;

    /// <summary>
    /// One forward and backward pass. <paramref name="teacherLogits"/> (B, num_labels) are the full-depth
    /// model's outputs for distillation (ignored when the weight is 0). Dropout masks and gate noise derive from
    /// <paramref name="seed"/>.
    /// </summary>
    public DpBertStepResult ForwardBackward(BertBatch batch, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<float> teacherLogits,
        ParameterSet backboneGrads, ParameterSet plannerGrads, PlannerTrainingOptions options, double temperature, ulong seed, bool hard = true)
    {
        var config = _model.Config;
        int b = batch.BatchSize, s = batch.SequenceLength, h = config.HiddenSize, t = b * s, n = config.NumLabels;
        int k = _planner.AlwaysRunLayers, planned = _planner.PlannedLayers, layers = config.NumHiddenLayers;

        // Forward: fixed layers, plan, gated layers, head.
        _encoder.Begin(batch, _acts, seed);
        for (int l = 0; l < k; l++) _encoder.ForwardLayer(l, []);
        var gateLogits = _planner.ForwardTraining(_encoder.Hidden(k - 1), b, s);
        Ensure(ref _gates, b * planned); Ensure(ref _soft, b * planned); Ensure(ref _dGates, b * planned); Ensure(ref _column, b); Ensure(ref _dColumn, b);
        GumbelGate.Sample(_gates.AsSpan(0, b * planned), _soft.AsSpan(0, b * planned), gateLogits, temperature, Dropout.Hash(seed, 7777), hard);
        for (int l = k; l < layers; l++)
        {
            for (int r = 0; r < b; r++) _column[r] = _gates[r * planned + l - k];
            _encoder.ForwardLayer(l, _column.AsSpan(0, b));
        }
        float[] last = _encoder.Hidden(layers - 1);
        var logits = _model.HeadForwardTraining(_acts, last, b, s, seed);

        // Loss and its gradient with respect to the logits.
        var dLogits = new float[b * n];
        float taskLoss = _model.TaskLoss(dLogits, logits, labels, targets, b);
        double loss = taskLoss;
        double alpha = options.DistillationWeight;
        if (alpha > 0)
        {
            if (teacherLogits.Length != b * n) throw new ArgumentException($"distillation needs {b * n} teacher logits, got {teacherLogits.Length}", nameof(teacherLogits));
            var dDistill = new float[b * n];
            double distill = Distillation.Loss(dDistill, logits, teacherLogits, b, n, _model.IsRegression, options.DistillationTemperature);
            loss = (1 - alpha) * taskLoss + alpha * distill;
            for (int i = 0; i < b * n; i++) dLogits[i] = (float)((1 - alpha) * dLogits[i] + alpha * dDistill[i]);
        }
        double gateMean = 0;
        for (int i = 0; i < b * planned; i++) gateMean += _gates[i];
        gateMean /= b * planned;
        loss += options.Lambda * (gateMean - options.Rho) * (gateMean - options.Rho);
        float dPenalty = (float)(2 * options.Lambda * (gateMean - options.Rho) / (b * planned));

        // Backward: head, gated layers (collecting gate gradients), planner, fixed layers, embeddings.
        var dPooled = _model.HeadBackward(backboneGrads, dLogits, _acts, b);
        float[] dy = _acts.GradA, dx = _acts.GradB;
        dy.AsSpan(0, t * h).Clear();
        _model.Bert.Pooler!.Backward(dy.AsSpan(0, t * h), backboneGrads, dPooled.AsSpan(0, b * h), _acts.Pooled, last, b, s);
        for (int l = layers - 1; l >= k; l--)
        {
            for (int r = 0; r < b; r++) _column[r] = _gates[r * planned + l - k];
            _encoder.BackwardLayer(l, dy, dx, _column.AsSpan(0, b), _dColumn.AsSpan(0, b), backboneGrads);
            for (int r = 0; r < b; r++) _dGates[r * planned + l - k] = _dColumn[r] + dPenalty;
            (dy, dx) = (dx, dy);
        }
        GumbelGate.Backward(_dGates.AsSpan(0, b * planned), _soft.AsSpan(0, b * planned), temperature);
        _planner.Backward(plannerGrads, _dGates.AsSpan(0, b * planned), dy.AsSpan(0, t * h), b, s);
        for (int l = k - 1; l >= 0; l--)
        {
            _encoder.BackwardLayer(l, dy, dx, [], [], backboneGrads);
            (dy, dx) = (dx, dy);
        }
        _encoder.BackwardEmbeddings(dy, dx, backboneGrads);
        return new DpBertStepResult((float)loss, taskLoss, (float)gateMean, logits);
    }

    private static void Ensure(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
    }
}
