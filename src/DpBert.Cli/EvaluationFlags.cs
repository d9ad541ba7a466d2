using System.CommandLine;
using DpBert.Bert;
using DpBert.Evaluation;
using DpBert.Glue;
using DpBert.Methods;
using DpBert.Training;

namespace DpBert.Cli;

/// <summary>Flags shared by <c>evaluate</c> and <c>tradeoff</c>: task, models, data and latency settings.</summary>
internal sealed class EvaluationFlags
{
    private readonly LatencyOptions _d = new();
    public Option<string> Task { get; } = new("--task") { Description = "GLUE task.", Required = true };
    public Option<string> Model { get; } = new("--model") { Description = "Folder (or Hugging Face model id) of the model fine-tuned at full depth.", Required = true };
    public Option<string> Methods { get; } = new("--methods") { Description = $"Comma-separated, from {string.Join(", ", AdaptiveMethods.Known.Select(m => m.Name))} (the oracle bound only when named; it reads --oracle).", DefaultValueFactory = _ => string.Join(",", AdaptiveMethods.All.Select(m => m.Name)) };
    public Option<string?> DpBert { get; } = new("--dpbert") { Description = "DPBERT folder (default: <model>/dpbert, from dpbert plan)." };
    public Option<string?> DeeBert { get; } = new("--deebert") { Description = "DeeBERT folder (default: <model>/deebert, from dpbert exits)." };
    public Option<string?> Pabee { get; } = new("--pabee") { Description = "PABEE folder (default: <model>/pabee, from dpbert exits)." };
    public Option<string?> Static { get; } = new("--static") { Description = "Folder of the static-depth models (default: <model>/static, from dpbert static); depths without a model of their own cut the full model short." };
    public Option<string?> Oracle { get; } = new("--oracle") { Description = "Oracle plans folder (default: <model>/oracle, from dpbert oracle); measured when --methods names oracle." };
    public Option<string?> DataDir { get; } = new("--data-dir") { Description = "GLUE folder; default: $GLUE_DIR, then data/glue." };
    public Option<int?> MaxEval { get; } = new("--max-eval-samples") { Description = "Evaluate on the first N rows only." };
    public Option<string?> Split { get; } = new("--split") { Description = "dev (default), heldout (with --held-out N: choose knobs there, report dev) or train." };
    public HeldOutFlags HeldOut { get; } = new("Training rows set aside by finetune, plan and exits (fixed seed).");
    public Option<int> MaxSeq { get; } = new("--max-seq-length") { Description = "Truncation length in tokens.", DefaultValueFactory = _ => 128 };
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Batch size of the throughput measurement.", DefaultValueFactory = _ => 32 };
    public Option<int> Warmup { get; } = new("--warmup") { Description = "Inputs run before timing starts.", DefaultValueFactory = _ => 16 };
    public Option<int> WarmupMs { get; } = new("--warmup-ms") { Description = "Minimum warm-up time per point in ms (lets the JIT install optimised code).", DefaultValueFactory = _ => 500 };
    public Option<int> Batch1Inputs { get; } = new("--batch1-inputs") { Description = "Inputs timed one at a time (0 = all).", DefaultValueFactory = _ => 0 };
    public Option<int> Rounds { get; } = new("--rounds") { Description = "Rounds over all points; per-input minimum latency, best throughput (removes interference).", DefaultValueFactory = _ => 1 };
    public Option<string?> Output { get; } = new("--output") { Description = "Folder for the JSON and CSV results (default: <model>/evaluation, <model>/evaluation-int8 with --precision int8, ...)." };
    public PrecisionFlag Precision { get; } = new();

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Task, Model, Methods, DpBert, DeeBert, Pabee, Static, Oracle, DataDir, MaxEval, Split, MaxSeq, BatchSize, Warmup, WarmupMs, Batch1Inputs, Rounds, Output })
            command.Options.Add(o);
        HeldOut.AddTo(command);
        Precision.AddTo(command);
    }

    public sealed record Context(GlueTask Task, string ModelDir, string OutputDir, EncodedDataset Data, string Split,
        IAdaptiveClassifier Full, List<IAdaptiveClassifier> Methods, LatencyOptions Latency, MetricFunction Metrics);

    public Context Read(ParseResult parse, TextWriter stderr)
    {
        var task = GlueTask.FromName(parse.GetValue(Task)!);
        string modelDir = parse.GetValue(Model)!;
        var methods = MethodCatalog.Parse(parse.GetValue(Methods)!);
        var latency = new LatencyOptions { WarmupInputs = parse.GetValue(Warmup), WarmupMilliseconds = parse.GetValue(WarmupMs), Batch1Inputs = parse.GetValue(Batch1Inputs), ThroughputBatchSize = parse.GetValue(BatchSize), Rounds = parse.GetValue(Rounds) };
        latency.Validate();
        var folders = new Dictionary<AdaptiveMethod, string?>
        {
            [AdaptiveMethods.DpBert] = parse.GetValue(DpBert), [AdaptiveMethods.DeeBert] = parse.GetValue(DeeBert), [AdaptiveMethods.Pabee] = parse.GetValue(Pabee),
            [AdaptiveMethods.Static] = parse.GetValue(Static), [AdaptiveMethods.Oracle] = parse.GetValue(Oracle),
        };
        var precision = Precision.Read(parse, stderr);
        var (full, classifiers) = MethodCatalog.Load(modelDir, methods, m => folders.GetValueOrDefault(m));
        GlueSets.RequireFits(task, full.Model.Config, modelDir);
        PrecisionFlag.Apply(precision, classifiers.Select(c => c.Model).Append(full.Model));
        var sets = GlueSets.Load(task, full.Tokenizer, parse.GetValue(DataDir), parse.GetValue(MaxSeq), null, parse.GetValue(MaxEval), withTrain: false,
            heldOut: HeldOut.Read(parse), evalSplit: parse.GetValue(Split) ?? task.EvaluationSplits[0]);
        stderr.WriteLine($"{task.Name} {sets.EvalSplit}: {sets.Eval.Count:N0} inputs; methods {string.Join(", ", methods.Select(m => m.Name))}; threads {Environment.ProcessorCount}");
        MetricFunction metrics = (d, p) => FinetuneCommand.Metrics(task, sets.EvalSplit, d, p);
        // Results of another precision go beside the fp32 ones, not over them.
        string defaultOutput = Path.Combine(modelDir, precision == InferencePrecision.Float32 ? "evaluation" : "evaluation-" + precision.Name());
        return new Context(task, modelDir, OutputPaths.Folder(parse.GetValue(Output) ?? defaultOutput, "--output"), sets.Eval, sets.EvalSplit,
            new FullDepthClassifier(full.Model), classifiers, latency, metrics);
    }
}
