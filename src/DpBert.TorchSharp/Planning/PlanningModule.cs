using DpBert.Planning;
using LayerPlan = DpBert.Bert.LayerPlan;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using CoreConfig = DpBert.Bert.BertConfig;

namespace DpBert.TorchSharp.Planning;

/// <summary>
/// DPBERT's planner as a TorchSharp module, the same architecture and parameter names as the core engine's
/// <see cref="DpBert.Planning.PlanningModule"/>: the [CLS] hidden state after the first k layers, or the mean of the real
/// tokens' states (<see cref="Input"/>, <see cref="Bert.TokenSummary"/>), goes through
/// <c>hidden</c> (H to H/4), exact GELU and <c>output</c> (H/4 to L - k), one logit per planned layer. Inside
/// <see cref="DpBertForSequenceClassification"/> its keys are <c>planner.hidden.*</c> and <c>planner.output.*</c>.
/// </summary>
public sealed class PlanningModule : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear hidden, output;
    private readonly CoreConfig _config;

    /// <summary>
    /// A planner for <paramref name="config"/> that always runs the first <paramref name="alwaysRunLayers"/> layers and then
    /// reads <paramref name="input"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k is not in [1, L) (the core engine's rule).</exception>
    public PlanningModule(CoreConfig config, int alwaysRunLayers = 1, DpBert.Bert.TokenPooling input = DpBert.Bert.TokenPooling.Cls) : base(nameof(PlanningModule))
    {
        DpBert.Planning.PlanningModule.CheckAlwaysRunLayers(alwaysRunLayers, config.NumHiddenLayers);
        _config = config;
        AlwaysRunLayers = alwaysRunLayers;
        Input = input;
        PlannedLayers = config.NumHiddenLayers - alwaysRunLayers;
        int inner = Math.Max(1, config.HiddenSize / 4);
        hidden = nn.Linear(config.HiddenSize, inner);
        output = nn.Linear(inner, PlannedLayers);
        RegisterComponents();
    }

    /// <summary>Layers that always run before the plan is made (k).</summary>
    public int AlwaysRunLayers { get; }
    /// <summary>Layers the planner decides about (L - k).</summary>
    public int PlannedLayers { get; }
    /// <summary>What the planner reads after the always-run layers: [CLS] or the mean of the real tokens.</summary>
    public DpBert.Bert.TokenPooling Input { get; }

    /// <summary>
    /// Initialises the planner with exactly the values the core engine's stage two starts from
    /// (<see cref="DpBert.Planning.PlannerTrainer.CreatePlanner(CoreConfig, PlannerTrainingOptions)"/>: weights from N(0, 0.02)
    /// drawn with the options' seed, output bias <c>logit((1 + rho) / 2)</c>), so both engines start stage two alike.
    /// </summary>
    /// <exception cref="ArgumentException">The options' always-run layers or planner input differ from this planner's.</exception>
    public void Initialize(PlannerTrainingOptions options)
    {
        if (options.AlwaysRunLayers != AlwaysRunLayers)
            throw new ArgumentException($"the options' always-run layers ({options.AlwaysRunLayers}) differ from this planner's ({AlwaysRunLayers})", nameof(options));
        if (options.Input != Input)
            throw new ArgumentException($"the options' planner input ({DpBert.Bert.TokenPoolings.Name(options.Input)}) differs from this planner's ({DpBert.Bert.TokenPoolings.Name(Input)})", nameof(options));
        var initial = PlannerTrainer.CreatePlanner(_config, options);
        Interop.ParameterTransfer.CopyFrom(this, "planner.", initial.Parameters);
    }

    /// <summary>Plan logits (B, L - k) from the hidden states after layer k (B, S, H) and the attention mask (B, S) (read for the mean only).</summary>
    public override Tensor forward(Tensor hiddenStates, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        return output.forward(nn.functional.gelu(hidden.forward(Bert.TokenSummary.Of(hiddenStates, attentionMask, Input)))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The plans for a batch from its plan logits (B, L - k): the first k layers always run; planned layer i runs when
    /// <c>sigmoid(logit_i) &gt; theta</c>, decided on the host by the core engine's rule (<see cref="DpBert.Planning.PlanningModule.Plans(ReadOnlySpan{float}, int, int, int, double)"/>),
    /// so both engines make the same decision from the same logit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="theta"/> is not in (0, 1).</exception>
    public IReadOnlyList<LayerPlan> Plans(Tensor logits, double theta) => Plans(HostLogits(logits), (int)logits.shape[0], theta);

    /// <summary>The plans for <paramref name="batchSize"/> rows of host logits (see <see cref="Plans(Tensor, double)"/>).</summary>
    public IReadOnlyList<LayerPlan> Plans(float[] logits, int batchSize, double theta) =>
        DpBert.Planning.PlanningModule.Plans(logits, batchSize, AlwaysRunLayers, PlannedLayers, theta);

    /// <summary><c>sigmoid(logit)</c> in double.</summary>
    public static double Probability(float logit) => 1.0 / (1.0 + Math.Exp(-logit));

    internal static float[] HostLogits(Tensor logits)
    {
        using var host = logits.detach().to(ScalarType.Float32).cpu();
        return host.data<float>().ToArray();
    }
}
