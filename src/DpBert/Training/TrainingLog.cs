using System.Text.Json;

namespace DpBert.Training;

/// <summary>
/// <c>training_log.jsonl</c>: one JSON object per optimizer step (<c>step</c>, <c>epoch</c>, <c>loss</c>,
/// <c>learning_rate</c>, <c>grad_norm</c>) and one per evaluation (<c>step</c>, <c>epoch</c>, then the metrics
/// prefixed <c>eval_</c>). Each line is flushed as written, so the file is readable while training runs.
/// </summary>
public sealed class TrainingLog : IDisposable
{
    /// <summary>File name inside the output folder.</summary>
    public const string FileName = "training_log.jsonl";
    private readonly string _path;
    private readonly bool _replace;
    private StreamWriter? _writer;

    /// <summary>Opens <paramref name="path"/>, appending, so a resumed run continues the same log.</summary>
    public TrainingLog(string path) : this(path, replace: false) { }

    /// <summary>
    /// Opens <paramref name="path"/>. With <paramref name="replace"/>, an existing log (of an earlier run into the same folder) is
    /// replaced when the first record is written, not before: a run that fails before its first step leaves it as it was.
    /// </summary>
    public TrainingLog(string path, bool replace)
    {
        _path = path;
        _replace = replace;
    }

    /// <summary>Records one optimizer step.</summary>
    public void Step(int step, double epoch, double loss, double learningRate, double gradNorm) => Step(step, epoch, loss, learningRate, gradNorm, null);

    /// <summary>Records one optimizer step with extra named values (for example the planner's gate mean).</summary>
    public void Step(int step, double epoch, double loss, double learningRate, double gradNorm, IReadOnlyDictionary<string, double>? extra)
    {
        var record = new Dictionary<string, object> { ["step"] = step, ["epoch"] = Math.Round(epoch, 6), ["loss"] = loss, ["learning_rate"] = learningRate, ["grad_norm"] = gradNorm };
        if (extra is not null) foreach (var (name, value) in extra) record[name] = value;
        Write(record);
    }

    /// <summary>Records one evaluation.</summary>
    public void Evaluation(int step, double epoch, IReadOnlyDictionary<string, double> metrics)
    {
        var record = new Dictionary<string, object> { ["step"] = step, ["epoch"] = Math.Round(epoch, 6) };
        foreach (var (name, value) in metrics) record["eval_" + name] = value;
        Write(record);
    }

    private void Write(Dictionary<string, object> record)
    {
        if (_writer is null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
            _writer = new StreamWriter(_path, append: !_replace) { AutoFlush = true, NewLine = "\n" };
        }
        _writer.WriteLine(JsonSerializer.Serialize(record));
    }

    /// <summary>Reads every record of a log file (for tests and the notebooks' training curves).</summary>
    public static List<Dictionary<string, JsonElement>> Read(string path)
    {
        var records = new List<Dictionary<string, JsonElement>>();
        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try { records.Add(JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(text)!); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{line}: not a JSON object: {e.Message}", e); }
        }
        return records;
    }

    /// <inheritdoc/>
    public void Dispose() => _writer?.Dispose();
}
