using System.CommandLine;
using System.Globalization;
using DpBert.Evaluation;
using DpBert.Methods;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert evaluate --task sst2 --model &lt;folder&gt; --methods full,dpbert,deebert,pabee,static</c>: each method at
/// one knob setting, measured side by side (metric, layers, batch-1 latency, batch-32 throughput); prints a
/// table and writes <c>results.json</c> and <c>results.csv</c>.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var flags = new EvaluationFlags();
        var theta = new Option<double?>("--theta") { Description = "DPBERT threshold, in (0, 1) (default 0.5)." };
        var entropy = new Option<double?>("--entropy") { Description = "DeeBERT entropy threshold S (nats, >= 0; default 0.3)." };
        var patience = new Option<double?>("--patience") { Description = "PABEE patience (a whole number >= 1; default 2)." };
        var depth = new Option<double?>("--depth") { Description = "Static depth m (default: half the layers, rounded up)." };
        var command = new Command("evaluate", "Measure accuracy and latency of each method at one knob setting, side by side.") { theta, entropy, patience, depth };
        flags.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var ctx = flags.Read(parse, stderr);
            var config = ctx.Full.Model.Config;
            var given = new Dictionary<AdaptiveMethod, double?>
            {
                [AdaptiveMethods.DpBert] = parse.GetValue(theta), [AdaptiveMethods.DeeBert] = parse.GetValue(entropy),
                [AdaptiveMethods.Pabee] = parse.GetValue(patience), [AdaptiveMethods.Static] = parse.GetValue(depth),
            };
            var options = new Dictionary<AdaptiveMethod, Option<double?>>
            {
                [AdaptiveMethods.DpBert] = theta, [AdaptiveMethods.DeeBert] = entropy, [AdaptiveMethods.Pabee] = patience, [AdaptiveMethods.Static] = depth,
            };
            foreach (var (knobMethod, option) in options)
            {
                if (given[knobMethod] is not null && ctx.Methods.All(m => m.Method != knobMethod))
                    stderr.WriteLine($"note: {option.Name} is ignored: --methods has no {knobMethod.Name}");
            }
            double Knob(IAdaptiveClassifier m) => given.GetValueOrDefault(m.Method) ?? m.Method.DefaultKnob(config);
            var entries = ctx.Methods.Select(m => new SweepEntry(m, [Knob(m)])).ToList();
            var tradeoff = TradeoffSweep.Run(ctx.Task.Name, ctx.Full, entries, ctx.Data, ctx.Metrics, ctx.Task.MainMetricName, ctx.Latency, new SweepProgress(stderr));
            ResultTable.Write(stdout, tradeoff.Points);
            ResultFiles.SaveJson(Path.Combine(ctx.OutputDir, "results.json"), tradeoff.Points);
            ResultFiles.SaveCsv(Path.Combine(ctx.OutputDir, "results.csv"), tradeoff.Points);
            stdout.WriteLine($"results: {Path.Combine(ctx.OutputDir, "results.json")}, {Path.Combine(ctx.OutputDir, "results.csv")}");
            return 0;
        });
        return command;
    }
}

/// <summary>One line per measured point on standard error.</summary>
internal sealed class SweepProgress(TextWriter error) : IProgress<(int Done, int Total, MethodResult Point)>
{
    public void Report((int Done, int Total, MethodResult Point) value)
    {
        var (done, total, p) = value;
        error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{done}/{total}] {p.Label}: {p.MetricName} {p.Metric:F4}, {p.MeanLayers:F2} layers, batch 1 {p.Batch1.MeanMs:F2} ms ({p.SpeedUp:F2}x), batch {p.ThroughputBatchSize} {p.Throughput:F0}/s ({p.ThroughputSpeedUp:F2}x)"));
    }
}
