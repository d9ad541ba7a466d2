using System.CommandLine;
using System.Globalization;
using DpBert.Evaluation;
using DpBert.Methods;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert tradeoff --task sst2 --model &lt;folder&gt;</c>: every method over its knob (theta for DPBERT, S for
/// DeeBERT, patience for PABEE, m for static depth), side by side; prints the points and the Pareto front and
/// writes <c>tradeoff.json</c> (points and front) and <c>tradeoff.csv</c>; with <c>--html report.html</c> also an
/// interactive Plotly.NET chart of the trade-off (plotly.js inlined: the page opens offline).
/// </summary>
internal static class TradeoffCommand
{
    public static Command Create()
    {
        var flags = new EvaluationFlags();
        var thetas = new Option<string?>("--thetas") { Description = "DPBERT thresholds, comma-separated (default 0.05,0.1,0.2,...,0.9,0.95)." };
        var entropies = new Option<string?>("--entropies") { Description = "DeeBERT entropy thresholds (default 0 to 0.7 nats for two classes, scaled by log2 of the class count)." };
        var patiences = new Option<string?>("--patiences") { Description = "PABEE patience values (default 1..L-1)." };
        var depths = new Option<string?>("--depths") { Description = "Static depths (default 1..L)." };
        var html = new Option<string?>("--html") { Description = "Also write an interactive chart of the trade-off (Plotly, works offline) to this HTML file." };
        var command = new Command("tradeoff", "Sweep every method over its knob and report the accuracy-latency trade-off and its Pareto front.") { thetas, entropies, patiences, depths, html };
        flags.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            if (parse.GetValue(html) is { } page) OutputPaths.File(page, "--html");
            var ctx = flags.Read(parse, stderr);
            var grids = new Dictionary<AdaptiveMethod, Option<string?>>
            {
                [AdaptiveMethods.DpBert] = thetas, [AdaptiveMethods.DeeBert] = entropies, [AdaptiveMethods.Pabee] = patiences, [AdaptiveMethods.Static] = depths,
            };
            foreach (var (knobMethod, option) in grids)
            {
                if (parse.GetValue(option) is not null && ctx.Methods.All(m => m.Method != knobMethod))
                    stderr.WriteLine($"note: {option.Name} is ignored: --methods has no {knobMethod.Name}");
            }
            var entries = ctx.Methods.Where(m => m.Method != AdaptiveMethods.Full)
                .Select(m => new SweepEntry(m, grids.TryGetValue(m.Method, out var grid) ? Grid(parse.GetValue(grid), m) : m.Method.SweepGrid(m.Model.Config))).ToList();
            var tradeoff = TradeoffSweep.Run(ctx.Task.Name, ctx.Full, entries, ctx.Data, ctx.Metrics, ctx.Task.MainMetricName, ctx.Latency, new SweepProgress(stderr));
            ResultTable.Write(stdout, tradeoff.Points, tradeoff.ParetoFront.ToHashSet());
            ResultFiles.SaveJson(Path.Combine(ctx.OutputDir, "tradeoff.json"), tradeoff);
            ResultFiles.SaveCsv(Path.Combine(ctx.OutputDir, "tradeoff.csv"), tradeoff.Points);
            stdout.WriteLine($"Pareto front: {string.Join(" -> ", tradeoff.ParetoFront.Select(p => p.Label))}");
            foreach (double keep in new[] { 0.98, 0.99 })
            {
                if (OperatingPoints.FastestKeeping(tradeoff, AdaptiveMethods.DpBert.Name, keep) is not { } best) continue;
                stdout.WriteLine();
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Fastest DPBERT point keeping {keep:P0} of the full model's {tradeoff.MetricName}: {best.Label}, {best.RelativeLatency:P1} of the full model's batch-1 latency; each method's best point at or below that latency:"));
                ResultTable.Write(stdout, OperatingPoints.BestAtOrBelowLatency(tradeoff, best));
            }
            stdout.WriteLine($"results: {Path.Combine(ctx.OutputDir, "tradeoff.json")}, {Path.Combine(ctx.OutputDir, "tradeoff.csv")}");
            if (parse.GetValue(html) is { } report)
            {
                TradeoffReport.Write(report, tradeoff);
                stdout.WriteLine($"interactive chart: {report}");
            }
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<double> Grid(string? text, IAdaptiveClassifier method)
    {
        if (text is null) return method.Method.SweepGrid(method.Model.Config);
        var values = new List<double>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                throw new CliInputException($"{method.Method.Name} knob \"{part}\" is not a number");
            if (!values.Contains(v)) values.Add(v);
        }
        if (values.Count == 0) throw new CliInputException($"{method.Method.Name} knobs \"{text}\": give at least one value, comma-separated");
        return values;
    }
}
