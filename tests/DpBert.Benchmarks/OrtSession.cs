using DpBert.Bert;
using Microsoft.ML.OnnxRuntime;

namespace DpBert.Benchmarks;

/// <summary>
/// One ONNX graph on ONNX Runtime's CPU provider with one fixed input batch, for the side-by-side table: all graph
/// optimisations on, a fixed number of intra-op threads, ORT's default idle spinning. Inputs the graph does not take
/// (a BertModel export without token types) are left out.
/// </summary>
internal sealed class OrtSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly OrtValue[] _inputs;
    private readonly string[] _outputs;

    public OrtSession(string path, BertBatch batch, int threads)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads, InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _session = new InferenceSession(path, options);
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        var all = new Dictionary<string, int[]>
        {
            ["input_ids"] = batch.InputIds, ["attention_mask"] = batch.AttentionMask, ["token_type_ids"] = batch.TokenTypeIds,
        };
        var unknown = _session.InputNames.Where(n => !all.ContainsKey(n)).ToList();
        if (unknown.Count > 0) throw new InvalidOperationException($"{path}: inputs {string.Join(", ", unknown)} are not BERT's");
        _inputNames = [.. _session.InputNames];
        _inputs = _inputNames.Select(n => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(all[n], v => (long)v), shape)).ToArray();
        _outputs = [_session.OutputNames[0]];
        Threads = threads;
    }

    /// <summary>Intra-op threads.</summary>
    public int Threads { get; }

    /// <summary>Name of the output read by <see cref="RunAndRead"/>.</summary>
    public string OutputName => _outputs[0];

    /// <summary>Runs the graph (the timed call).</summary>
    public void Run()
    {
        using var results = _session.Run(_runOptions, _inputNames, _inputs, _outputs);
    }

    /// <summary>Runs the graph and returns its first output.</summary>
    public float[] RunAndRead()
    {
        using var results = _session.Run(_runOptions, _inputNames, _inputs, _outputs);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose()
    {
        foreach (var v in _inputs) v.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
