using DpBert.Bert;
using Microsoft.ML.OnnxRuntime;

namespace DpBert.OnnxExport.Tests;

/// <summary>An exported graph loaded in ONNX Runtime (CPU provider): runs a <see cref="BertBatch"/>, returns logits and plans.</summary>
internal sealed class OrtModel : IDisposable
{
    private readonly InferenceSession _session;

    public OrtModel(string path, GraphOptimizationLevel optimization = GraphOptimizationLevel.ORT_ENABLE_ALL, int threads = 0)
    {
        // Warnings off: ORT warns that the theta initializer is also an input, which is the point (an overridable default).
        using var options = new SessionOptions { GraphOptimizationLevel = optimization, IntraOpNumThreads = threads, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        _session = new InferenceSession(path, options);
    }

    public InferenceSession Session => _session;

    /// <summary>
    /// Logits (B, num_labels) and, for a DPBERT or early-exit graph, the plan (B, L) as flags; <paramref name="theta"/> (DPBERT)
    /// or <paramref name="knob"/> (an early-exit method, <c>deebert</c> or <c>pabee</c>, and its entropy or patience) null uses the graph's default.
    /// </summary>
    public (float[] Logits, bool[]? Plan) Run(BertBatch batch, float? theta = null, (string Method, double Value)? knob = null)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        var inputs = new Dictionary<string, OrtValue>
        {
            ["input_ids"] = OrtValue.CreateTensorValueFromMemory(batch.InputIds.Select(i => (long)i).ToArray(), shape),
            ["attention_mask"] = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask.Select(i => (long)i).ToArray(), shape),
            ["token_type_ids"] = OrtValue.CreateTensorValueFromMemory(batch.TokenTypeIds.Select(i => (long)i).ToArray(), shape),
        };
        if (theta is { } t) inputs["theta"] = OrtValue.CreateTensorValueFromMemory(new[] { t }, []);
        if (knob is ("deebert", var entropy)) inputs["entropy"] = OrtValue.CreateTensorValueFromMemory(new[] { (float)entropy }, []);
        if (knob is ("pabee", var patience)) inputs["patience"] = OrtValue.CreateTensorValueFromMemory(new[] { (long)patience }, []);
        bool planned = _session.OutputNames.Contains("plan");
        string[] outputs = planned ? ["logits", "plan"] : ["logits"];
        try
        {
            using var runOptions = new RunOptions();
            using var results = _session.Run(runOptions, inputs, outputs);
            float[] logits = results[0].GetTensorDataAsSpan<float>().ToArray();
            bool[]? plan = planned ? results[1].GetTensorDataAsSpan<bool>().ToArray() : null;
            return (logits, plan);
        }
        finally
        {
            foreach (var v in inputs.Values) v.Dispose();
        }
    }

    public void Dispose() => _session.Dispose();
}
