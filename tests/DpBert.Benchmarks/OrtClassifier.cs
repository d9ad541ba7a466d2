using DpBert.Bert;
using DpBert.Evaluation;
using DpBert.Planning;
using Microsoft.ML.OnnxRuntime;

namespace DpBert.Benchmarks;

/// <summary>
/// An exported graph on ONNX Runtime (CPU provider) behind the project's <see cref="IAdaptiveClassifier"/>, so the trade-off
/// sweep times it exactly as it times the core engine. The knob is DPBERT's theta (ignored by a full graph).
/// </summary>
internal sealed class OrtClassifier : IAdaptiveClassifier, IDisposable
{
    private readonly InferenceSession _session;
    private readonly bool _planned;
    private readonly string[] _outputs;

    /// <param name="path">The ONNX file.</param>
    /// <param name="method">Name in the result records.</param>
    /// <param name="config">The exported model's configuration.</param>
    /// <param name="threads">Intra-op threads.</param>
    /// <param name="spinning">Let ORT's idle threads spin (its default); off, they sleep and leave the cores to the other points.</param>
    public OrtClassifier(string path, string method, BertConfig config, int threads, bool spinning)
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
        Method = method;
        LayerCount = config.NumHiddenLayers;
        NumLabels = config.NumLabels;
        PadTokenId = config.PadTokenId;
    }

    public string Method { get; }
    public string KnobName => _planned ? "theta" : "";
    public int LayerCount { get; }
    public int NumLabels { get; }
    public int PadTokenId { get; }

    public void ValidateKnob(double knob)
    {
        if (_planned && !(knob > 0 && knob < 1)) throw new ArgumentOutOfRangeException(nameof(knob), $"theta {knob} must be in (0, 1)");
    }

    public AdaptiveOutput Classify(BertBatch batch, double knob)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        using var ids = OrtValue.CreateTensorValueFromMemory(Widen(batch.InputIds), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(Widen(batch.AttentionMask), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(Widen(batch.TokenTypeIds), shape);
        using var theta = OrtValue.CreateTensorValueFromMemory(new[] { (float)knob }, []);
        var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = ids, ["attention_mask"] = mask, ["token_type_ids"] = types };
        if (_planned) inputs["theta"] = theta;
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, inputs, _outputs);
        float[] logits = results[0].GetTensorDataAsSpan<float>().ToArray();
        if (!_planned) return new(logits, Enumerable.Repeat(LayerPlan.Full(LayerCount), batch.BatchSize).ToArray());
        var flags = results[1].GetTensorDataAsSpan<bool>();
        var plans = new LayerPlan[batch.BatchSize];
        for (int r = 0; r < plans.Length; r++) plans[r] = new LayerPlan(flags.Slice(r * LayerCount, LayerCount).ToArray());
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

/// <summary>A core-engine classifier under another method name, so two engines' points stay apart in one sweep.</summary>
internal sealed class RenamedClassifier(IAdaptiveClassifier inner, string method) : IAdaptiveClassifier
{
    public string Method => method;
    public string KnobName => inner.KnobName;
    public int LayerCount => inner.LayerCount;
    public int NumLabels => inner.NumLabels;
    public int PadTokenId => inner.PadTokenId;
    public void ValidateKnob(double knob) => inner.ValidateKnob(knob);
    public AdaptiveOutput Classify(BertBatch batch, double knob) => inner.Classify(batch, knob);
}
