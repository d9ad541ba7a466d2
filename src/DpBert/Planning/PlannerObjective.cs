using DpBert.Bert;
using DpBert.Tensors;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Planning;

/// <summary>What one joint training step of planner and backbone saw.</summary>
/// <param name="Loss">Total loss.</param>
/// <param name="TaskLoss">Task loss against the labels (before blending with distillation).</param>
/// <param name="GateMean">Mean forward gate over the batch and the planned layers (the fraction that ran).</param>
/// <param name="Logits">Class scores (B, num_labels).</param>
public sealed record DpBertStepResult(float Loss, float TaskLoss, float GateMean, float[] Logits);

/// <summary>
/// DPBERT's joint training (stage two) as a <see cref="ITrainingObjective"/>: the first k layers run; the planner
/// reads [CLS] (or the mean of the tokens) and gives one logit per remaining layer; gates are straight-through hard
/// Gumbel-sigmoid samples (or their soft relaxation) at a temperature annealed over the run, or Bernoulli samples
/// trained by policy gradient (<see cref="GateEstimator"/>); each planned layer is
/// <c>z * Layer(h) + (1 - z) * h</c> (this class is the <see cref="ITrainingLayerHook"/> that gates them); the loss
/// adds distillation from the full-depth model's logits, the budget penalty <c>lambda * (mean gate - rho)^2</c> and
/// each input's layer cost. With policy gradient, input i's reward is
/// <c>-[(1 - a) (task loss - the full-depth model's task loss on it) + a * distillation] - layer cost * (its fraction of
/// planned layers run)</c> (a: the distillation weight; the full-depth model's own distillation loss is 0), and the budget
/// penalty acts on the mean probability of running a layer.
/// With the planner's <see cref="DepthHeads"/>, each input's logits come from the head of its sampled plan's length
/// (this class is then also the <see cref="IClassifierHead"/>), trained with the planner.
/// Parameter groups: <c>planner</c> (with the depth heads), then <c>backbone</c> (a lower rate: it is already fine-tuned).
/// </summary>
public sealed class PlannerObjective : ITrainingObjective, ITrainingLayerHook, IClassifierHead
{
    private readonly BertForSequenceClassification _model;
    private readonly BertTokenizer? _tokenizer;
    private readonly PlanningModule _planner;
    private readonly PlannerTrainingOptions _options;
    private readonly float[] _teacher;
    private readonly float[] _oracle;
    private readonly BertTrainingActivations _acts;
    private float[] _gates = [], _soft = [], _dGates = [], _column = [], _gateLogits = [], _oracleBatch = [];
    // The step being run: gate noise and temperature, the planner's gradients, the budget penalty's gradient.
    private ulong _noiseSeed;
    private double _temperature;
    private bool _hard;
    private ParameterSet? _plannerGrads;
    private float _dPenalty;
    private double _gateMean, _probabilityMean, _meanReward, _oracleLoss;
    private double[] _advantages = [];
    private int[] _layersRun = [];
    private readonly float[] _rowGradient;
    private bool Reinforce => _options.Estimator == GateEstimator.Reinforce;

    /// <summary>Prepares joint training of a backbone and its planner.</summary>
    /// <param name="model">The backbone, fine-tuned at full depth (trained in place).</param>
    /// <param name="tokenizer">Written with the model; may be null when the objective only runs steps.</param>
    /// <param name="planner">The planner (trained in place).</param>
    /// <param name="options">Loss weights, temperatures and learning rates.</param>
    /// <param name="teacherLogits">The full-depth model's logits for every training example (N, num_labels), for distillation and for the policy gradient's per-input baseline; may be empty when neither is used.</param>
    /// <param name="oracleTargets">Per training example and planned layer, 1 when its oracle plan runs the layer ((N, L - k), <see cref="OraclePlans.Targets"/>); needed when <see cref="PlannerTrainingOptions.OracleWeight"/> &gt; 0.</param>
    public PlannerObjective(BertForSequenceClassification model, BertTokenizer? tokenizer, PlanningModule planner, PlannerTrainingOptions options,
        float[]? teacherLogits = null, float[]? oracleTargets = null)
    {
        if (options.OracleWeight > 0 && oracleTargets is null) throw new ArgumentException("--oracle-weight needs the oracle plans of the training set", nameof(oracleTargets));
        _oracle = oracleTargets ?? [];
        if (planner.AlwaysRunLayers + planner.PlannedLayers != model.Config.NumHiddenLayers)
            throw new ArgumentException($"the planner covers {planner.AlwaysRunLayers + planner.PlannedLayers} layers; the model has {model.Config.NumHiddenLayers}", nameof(planner));
        _model = model;
        _tokenizer = tokenizer;
        _planner = planner;
        _options = options;
        _teacher = teacherLogits ?? [];
        _acts = new BertTrainingActivations(model.Config);
        _rowGradient = new float[model.Config.NumLabels];
        Groups =
        [
            new ParameterGroup("planner", planner.Parameters, new AdamWOptions(options.PlannerLearningRate, 0.9, 0.999, 1e-8, 0.0), DpBertFolder.PlannerFileName),
            new ParameterGroup("backbone", model.Parameters, new AdamWOptions(options.BackboneLearningRate, 0.9, 0.999, 1e-8, 0.01), Checkpoints.ModelFolder.WeightsFileName),
        ];
    }

    /// <inheritdoc/>
    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>The gates (B, L - k) of the last step, as used in the forward pass.</summary>
    public ReadOnlySpan<float> LastGates => _gates;

    /// <inheritdoc/>
    public ObjectiveStep ForwardBackward(EncodedDataset data, int[] indices, IReadOnlyList<ParameterSet> gradients, StepContext context)
    {
        var batch = data.Batch(indices, _model.Config.PadTokenId);
        int n = _model.Config.NumLabels;
        var teacher = new float[_teacher.Length > 0 ? indices.Length * n : 0];
        for (int r = 0; r < indices.Length && teacher.Length > 0; r++) _teacher.AsSpan(indices[r] * n, n).CopyTo(teacher.AsSpan(r * n, n));
        double temperature = GumbelGate.AnnealedTemperature(_options.TemperatureStart, _options.TemperatureEnd, context.Step, context.TotalSteps);
        int planned = _planner.PlannedLayers;
        float[]? oracle = null;
        if (_options.OracleWeight > 0)
        {
            oracle = new float[indices.Length * planned];
            for (int r = 0; r < indices.Length; r++) _oracle.AsSpan(indices[r] * planned, planned).CopyTo(oracle.AsSpan(r * planned, planned));
        }
        var result = _model.IsRegression
            ? Step(batch, default, data.ScoresOf(indices), teacher, gradients[1], gradients[0], temperature, context.Seed, oracleTargets: oracle)
            : Step(batch, data.LabelsOf(indices), default, teacher, gradients[1], gradients[0], temperature, context.Seed, oracleTargets: oracle);
        var values = new Dictionary<string, double> { ["task_loss"] = result.TaskLoss, ["gate_mean"] = result.GateMean };
        if (!Reinforce) values["temperature"] = temperature;   // policy-gradient gates are Bernoulli samples: no temperature
        if (_options.OracleWeight > 0) values["oracle_loss"] = _oracleLoss;
        if (Reinforce) { values["gate_probability"] = _probabilityMean; values["reward"] = _meanReward; }
        return new ObjectiveStep(result.Loss, values);
    }

    /// <summary>
    /// One forward and backward pass. <paramref name="teacherLogits"/> (B, num_labels) are the full-depth model's
    /// outputs, for distillation and for the policy gradient's per-input baseline (may be empty when neither is used). Dropout masks and gate noise derive from
    /// <paramref name="seed"/>; <paramref name="hard"/> false uses the soft relaxation (for gradient checks).
    /// <paramref name="oracleTargets"/> (B, L - k) are the rows' oracle targets, needed when the oracle weight is set.
    /// </summary>
    public DpBertStepResult Step(BertBatch batch, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<float> teacherLogits,
        ParameterSet backboneGrads, ParameterSet plannerGrads, double temperature, ulong seed, bool hard = true, float[]? oracleTargets = null)
    {
        int b = batch.BatchSize, n = _model.Config.NumLabels;
        if (teacherLogits.Length != 0 && teacherLogits.Length != b * n)
            throw new ArgumentException($"the teacher's logits must be empty or {b * n} values, got {teacherLogits.Length}", nameof(teacherLogits));
        if (_options.OracleWeight > 0)
        {
            if (oracleTargets is null || oracleTargets.Length != b * _planner.PlannedLayers)
                throw new ArgumentException($"the oracle term needs {b * _planner.PlannedLayers} targets, got {oracleTargets?.Length ?? 0}", nameof(oracleTargets));
            _oracleBatch = oracleTargets;
        }
        _noiseSeed = Dropout.Hash(seed, 7777);
        _temperature = temperature;
        _hard = hard;
        _plannerGrads = plannerGrads;
        var head = _planner.DepthHeads is null ? null : this;
        var logits = _model.ForwardTraining(batch, _acts, seed, this, head);

        // Loss and its gradient with respect to the logits.
        var dLogits = new float[b * n];
        float taskLoss = _model.TaskLoss(dLogits, logits, labels, targets, b);
        double loss = taskLoss;
        double alpha = _options.DistillationWeight;
        if (alpha > 0) loss = Distillation.Blend(dLogits, taskLoss, logits, teacherLogits, b, n, _model.IsRegression, alpha, _options.DistillationTemperature);
        double budget = Reinforce ? _probabilityMean : _gateMean;
        loss += _options.Lambda * (budget - _options.Rho) * (budget - _options.Rho) + _options.LayerCost * _gateMean;
        if (_options.OracleWeight > 0) loss += _options.OracleWeight * _oracleLoss;
        if (Reinforce) ComputeAdvantages(logits, labels, targets, teacherLogits, b);
        _model.BackwardFromLogits(batch, _acts, backboneGrads, dLogits, this, head);
        return new DpBertStepResult((float)loss, taskLoss, (float)_gateMean, logits);
    }

    // Input r's reward: minus its loss beyond the full-depth model's own loss on it (when the teacher's logits are given),
    // minus the cost of the layers its plan ran; then each input's advantage over the rest of the batch.
    private void ComputeAdvantages(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, ReadOnlySpan<float> teacherLogits, int b)
    {
        int n = _model.Config.NumLabels, planned = _planner.PlannedLayers;
        double alpha = _options.DistillationWeight;
        var rewards = new double[b];
        for (int r = 0; r < b; r++)
        {
            var rowLabels = labels.IsEmpty ? default : labels.Slice(r, 1);
            var rowTargets = targets.IsEmpty ? default : targets.Slice(r, 1);
            var row = logits.Slice(r * n, n);
            double task = _model.TaskLoss(_rowGradient, row, rowLabels, rowTargets, 1);
            bool teacher = teacherLogits.Length == b * n;
            if (teacher) task -= _model.TaskLoss(_rowGradient, teacherLogits.Slice(r * n, n), rowLabels, rowTargets, 1);
            double loss = task;
            if (alpha > 0)
                loss = (1 - alpha) * task + alpha * Distillation.Loss(_rowGradient, row, teacherLogits.Slice(r * n, n), 1, n, _model.IsRegression, _options.DistillationTemperature);
            double run = 0;
            for (int j = 0; j < planned; j++) run += _gates[r * planned + j];
            rewards[r] = -loss - _options.LayerCost * run / planned;
        }
        _meanReward = rewards.Average();
        if (_advantages.Length != b) _advantages = new double[b];
        PlanPolicyGradient.Advantages(_advantages, rewards);
    }

    /// <inheritdoc/>
    public void WriteModel(string folder) =>
        DpBertFolder.WriteFiles(folder, _model, _tokenizer ?? throw new InvalidOperationException("no tokenizer to write with the model"), _planner, _options);

    /// <summary>Layers before k run ungated; at k the planner reads [CLS] (or the tokens' mean) and the gates of every planned layer are sampled.</summary>
    ReadOnlySpan<float> ITrainingLayerHook.Gates(int layer, BertTrainingActivations acts, BertBatch batch)
    {
        int k = _planner.AlwaysRunLayers, planned = _planner.PlannedLayers, b = batch.BatchSize;
        if (layer < k) return default;
        if (layer == k)
        {
            var gateLogits = _planner.ForwardTraining(acts.Hidden(k - 1), batch.AttentionMask, b, batch.SequenceLength);
            _gateLogits = gateLogits;
            _oracleLoss = _options.OracleWeight > 0 ? OracleLoss(gateLogits, _oracleBatch.AsSpan(0, b * planned)) : 0;
            Buffers.Ensure(ref _soft, b * planned); Buffers.Ensure(ref _dGates, b * planned); Buffers.Ensure(ref _column, b);
            if (_gates.Length != b * planned) _gates = new float[b * planned];
            if (Reinforce) PlanPolicyGradient.Sample(_gates, _soft.AsSpan(0, b * planned), gateLogits, _noiseSeed);
            else GumbelGate.Sample(_gates, _soft.AsSpan(0, b * planned), gateLogits, _temperature, _noiseSeed, _hard);
            _gateMean = 0;
            foreach (float z in _gates) _gateMean += z;
            _gateMean /= b * planned;
            _probabilityMean = 0;
            foreach (float p in _soft.AsSpan(0, b * planned)) _probabilityMean += p;
            _probabilityMean /= b * planned;
            // d/dz of lambda * (mean gate - rho)^2 + cost * mean gate (straight-through only: policy gradient has no path through z).
            _dPenalty = Reinforce ? 0 : (float)((2 * _options.Lambda * (_gateMean - _options.Rho) + _options.LayerCost) / (b * planned));
        }
        for (int r = 0; r < b; r++) _column[r] = _gates[r * planned + layer - k];
        return _column.AsSpan(0, b);
    }

    /// <summary>Collects each planned layer's gate gradients (plus the budget penalty's); at k, back through the gates and the planner into [CLS].</summary>
    void ITrainingLayerHook.AfterBackward(int layer, ReadOnlySpan<float> dGates, Span<float> dInput, BertTrainingActivations acts, BertBatch batch)
    {
        int k = _planner.AlwaysRunLayers, planned = _planner.PlannedLayers, b = batch.BatchSize;
        if (layer < k) return;
        for (int r = 0; r < b; r++) _dGates[r * planned + layer - k] = dGates[r] + _dPenalty;
        if (layer != k) return;
        var dLogits = _dGates.AsSpan(0, b * planned);
        if (Reinforce)
        {
            dLogits.Clear();
            PlanPolicyGradient.AddGradient(dLogits, _gates, _soft.AsSpan(0, b * planned), _advantages, planned);
            // d/dg of lambda * (mean p - rho)^2 with p = sigmoid(g).
            double scale = 2 * _options.Lambda * (_probabilityMean - _options.Rho) / (b * planned);
            for (int i = 0; i < b * planned && scale != 0; i++) dLogits[i] += (float)(scale * _soft[i] * (1 - _soft[i]));
        }
        else GumbelGate.Backward(dLogits, _soft.AsSpan(0, b * planned), _temperature);
        if (_options.OracleWeight > 0)
        {
            // d/dg of w * mean BCE(sigmoid(g), t) = w * (sigmoid(g) - t) / (B (L - k)), added to the gates' path.
            double scale = _options.OracleWeight / (b * planned);
            for (int i = 0; i < b * planned; i++) _dGates[i] += (float)(scale * (Sigmoid(_gateLogits[i]) - _oracleBatch[i]));
        }
        _planner.Backward(_plannerGrads!, _dGates.AsSpan(0, b * planned), dInput, b, batch.SequenceLength);
    }

    /// <summary>Each row through the depth head of its plan: k plus the planned layers whose gate is on (above 1/2 for soft gates).</summary>
    void IClassifierHead.Forward(Span<float> logits, ReadOnlySpan<float> pooled, int batchSize)
    {
        int k = _planner.AlwaysRunLayers, planned = _planner.PlannedLayers;
        if (_layersRun.Length != batchSize) _layersRun = new int[batchSize];
        for (int r = 0; r < batchSize; r++)
        {
            int run = k;
            for (int j = 0; j < planned; j++) if (_gates[r * planned + j] > 0.5f) run++;
            _layersRun[r] = run;
        }
        _planner.DepthHeads!.Forward(logits, pooled, _layersRun, batchSize);
    }

    /// <summary>The depth heads' gradients go to the planner's block.</summary>
    void IClassifierHead.Backward(Span<float> dPooled, ReadOnlySpan<float> dLogits, ReadOnlySpan<float> pooled, int batchSize) =>
        _planner.DepthHeads!.Backward(dPooled, _plannerGrads!, dLogits, pooled, _layersRun, batchSize);

    // Mean binary cross-entropy of sigmoid(logits) against the oracle's 0/1 targets, computed stably.
    private static double OracleLoss(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets)
    {
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double g = logits[i];
            sum += Math.Max(g, 0) - g * targets[i] + Math.Log(1 + Math.Exp(-Math.Abs(g)));
        }
        return sum / logits.Length;
    }

    private static double Sigmoid(double g) => 1.0 / (1.0 + Math.Exp(-g));
}
