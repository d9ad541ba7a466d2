using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Methods;
using Microsoft.ML.OnnxRuntime;

namespace DpBert.Benchmarks;

/// <summary>
/// An exported graph on ONNX Runtime (CPU provider) behind the project's <see cref="IAdaptiveClassifier"/>, so the trade-off
/// sweep times it exactly as it times the core engine. The knob is the graph's knob input (DPBERT's <c>theta</c>, DeeBERT's
/// <c>entropy</c>, PABEE's <c>patience</c>; a full graph has none);
/// <see cref="Model"/> is the backbone the graph was exported from (its configuration and padding id).
/// </summary>
internal sealed class OrtClassifier : IAdaptiveClassifier, IDisposable
{
    private readonly InferenceSession _session;
    private readonly bool _planned;
    private readonly string[] _outputs;
    private readonly string? _knob;

    /// <param name="path">The ONNX file.</param>
    /// <param name="method">The method as it appears in the result records.</param>
    /// <param name="model">The model the graph was exported from.</param>
    /// <param name="threads">Intra-op threads.</param>
    /// <param name="spinning">Let ORT's idle threads spin (its default); off, they sleep and leave the cores to the other points.</param>
    public OrtClassifier(string path, AdaptiveMethod method, BertForSequenceClassification model, int threads, bool spinning)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads, InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
        _session = new InferenceSession(path, options);
        _planned = _session.OutputNames.Contains("plan");
        _outputs = _planned ? ["logits", "plan"] : ["logits"];
        // The knob is an initializer that is also an input: ONNX Runtime lists it among the overridable initializers.
        _knob = _session.InputNames.Concat(_session.OverridableInitializerMetadata.Keys).FirstOrDefault(n => n is "theta" or "entropy" or "patience");
        Method = method;
        Model = model;
        _layers = model.Config.NumHiddenLayers;
    }

    private readonly int _layers;
    public AdaptiveMethod Method { get; }
    public BertForSequenceClassification Model { get; }

    public AdaptiveOutput Classify(BertBatch batch, double knob)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        using var ids = OrtValue.CreateTensorValueFromMemory(Widen(batch.InputIds), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(Widen(batch.AttentionMask), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(Widen(batch.TokenTypeIds), shape);
        using var knobValue = _knob == "patience"
            ? OrtValue.CreateTensorValueFromMemory(new[] { (long)knob }, [])
            : OrtValue.CreateTensorValueFromMemory(new[] { (float)knob }, []);
        var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = ids, ["attention_mask"] = mask, ["token_type_ids"] = types };
        if (_knob is not null) inputs[_knob] = knobValue;
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, inputs, _outputs);
        float[] logits = results[0].GetTensorDataAsSpan<float>().ToArray();
        if (!_planned) return new(logits, Enumerable.Repeat(LayerPlan.Full(_layers), batch.BatchSize).ToArray());
        var flags = results[1].GetTensorDataAsSpan<bool>();
        var plans = new LayerPlan[batch.BatchSize];
        for (int r = 0; r < plans.Length; r++) plans[r] = new LayerPlan(flags.Slice(r * _layers, _layers).ToArray());
        return new(logits, plans);
    }

    private static long[] Widen(int[] values)
    {
        var wide = new long[values.Length];
        for (int i = 0; i < values.Length; i++) wide[i] = values[i];
        return wide;
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>A method under an engine's name (<c>ort-dpbert</c>, <c>core-full</c>), so two engines' points stay apart in one sweep.</summary>
internal sealed class EngineMethod(string engine, AdaptiveMethod inner) : AdaptiveMethod
{
    public override string Name => $"{engine}-{inner.Name}";
    public override string Description => $"{inner.Description}, on {engine}";
    public override Knob? Knob => inner.Knob;
    public override void ValidateKnob(double value, BertConfig config) => inner.ValidateKnob(value, config);
    public override IAdaptiveClassifier Load(LoadedModel fineTuned, string? folder = null) => throw new NotSupportedException($"{Name} is built by the benchmark");
}

/// <summary>A core-engine classifier under an <see cref="EngineMethod"/>.</summary>
internal sealed class EngineClassifier(string engine, IAdaptiveClassifier inner) : IAdaptiveClassifier
{
    public AdaptiveMethod Method { get; } = new EngineMethod(engine, inner.Method);
    public BertForSequenceClassification Model => inner.Model;
    public AdaptiveOutput Classify(BertBatch batch, double knob) => inner.Classify(batch, knob);
}
