using System.CommandLine;
using System.Globalization;
using DpBert.Evaluation;
using Spectre.Console;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert seeds --dev a,b,c [--heldout a,b,c] [--keep 0.99,0.97]</c>: the trade-off sweeps of several training seeds
/// (<c>tradeoff.json</c> files, or the folders <c>dpbert tradeoff</c> wrote them to) read together with
/// <see cref="SeedSummary"/>: for each fraction, every method's knob chosen on the held-out sweep of each seed and its dev
/// figures as mean ± std; then every DPBERT knob of the dev sweeps against the best baseline at the same or a lower latency.
/// Prints Markdown tables.
/// </summary>
internal static class SeedsCommand
{
    public static Command Create()
    {
        var dev = new Option<string>("--dev") { Description = "The dev sweeps, one per seed, comma-separated (tradeoff.json files or the folders holding them).", Required = true };
        var heldOut = new Option<string?>("--heldout") { Description = "The held-out sweeps of the same seeds, in the same order; knobs are chosen on them." };
        var keep = new Option<string>("--keep") { Description = "Fractions of the full model's held-out metric a chosen knob must keep, comma-separated.", DefaultValueFactory = _ => "0.99,0.97" };
        var staticDepths = new Option<string?>("--static-depths") { Description = "Keep only these static depths (e.g. 3,4: the depths every seed trained)." };
        var method = new Option<string>("--method") { Description = "The method compared with the baselines at equal latency.", DefaultValueFactory = _ => "dpbert" };
        var command = new Command("seeds", "Read the trade-off sweeps of several seeds together: knobs chosen on held-out, dev mean ± std, and a method against the baselines at equal latency.")
        {
            dev, heldOut, keep, staticDepths, method,
        };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var depths = parse.GetValue(staticDepths) is { } d ? ParseList(d, "--static-depths").ToHashSet() : null;
            var devSweeps = Load(parse.GetValue(dev)!, depths);
            SameTask(devSweeps, "--dev");
            string compared = parse.GetValue(method)!;
            if (!devSweeps.Any(sweep => sweep.Points.Any(p => p.Method == compared)))
                throw new CliInputException($"--method {compared}: no point of that method in the --dev sweeps (they hold {string.Join(", ", devSweeps.SelectMany(sw => sw.Points).Select(p => p.Method).Distinct())})");
            var fractions = ParseList(parse.GetValue(keep)!, "--keep");
            if (fractions.Any(f => !(f > 0 && f <= 1))) throw new CliInputException($"--keep {parse.GetValue(keep)}: every fraction must be in (0, 1]");
            var c = CultureInfo.InvariantCulture;
            if (parse.GetValue(heldOut) is { } h)
            {
                var heldOutSweeps = Load(h, depths);
                SameTask([.. devSweeps, .. heldOutSweeps], "--heldout and --dev");
                if (heldOutSweeps.Count != devSweeps.Count)
                    throw new CliInputException($"--heldout has {heldOutSweeps.Count} sweeps and --dev {devSweeps.Count}: give one of each per seed, in the same order");
                var seeds = heldOutSweeps.Zip(devSweeps).ToList();
                foreach (double f in fractions)
                {
                    IReadOnlyList<SeedSummaryRow> rows;
                    try { rows = SeedSummary.ChosenOnHeldOut(seeds, f); }
                    catch (ArgumentException e) { throw new CliInputException(e.Message); }
                    stdout.WriteLine();
                    stdout.WriteLine($"{devSweeps[0].Task}, {devSweeps.Count} seed(s): each seed's knob chosen on its held-out sweep, keeping {(100 * f).ToString("0.#", c)}%; dev figures, mean ± std over the seeds that found one");
                    WriteRows(stdout, rows, devSweeps[0].MetricName);
                }
            }
            var sweep = SeedSummary.DevSweep(devSweeps);
            var comparisons = SeedSummary.AgainstBaselines(sweep, parse.GetValue(method)!);
            stdout.WriteLine();
            stdout.WriteLine($"{devSweeps[0].Task} dev sweeps, seed means: every {parse.GetValue(method)} knob against the best baseline at the same or a lower latency");
            var table = new Table().Border(TableBorder.Markdown);
            foreach (string header in new[] { "knob", "% of full", "latency, % of full", "plans", "best baseline at or below that latency", "its % of full", "its latency", "difference (points)" })
                table.AddColumn(header);
            foreach (var comparison in comparisons)
            {
                var (p, b) = (comparison.Point, comparison.BestBaseline);
                table.AddRow(new[]
                {
                    Knob(p), p.OfFull.Mean.ToString("F1", c), p.LatencyOfFull.Mean.ToString("F1", c), p.DistinctPlans.Format(1),
                    b is null ? "none that fast" : $"{b.Method} {Knob(b)}", b?.OfFull.Mean.ToString("F1", c) ?? "", b?.LatencyOfFull.Mean.ToString("F1", c) ?? "",
                    b is null ? "" : comparison.Difference.ToString("+0.0;-0.0;0.0", c),
                }.Select(Markup.Escape).ToArray());
            }
            CliConsole.For(stdout).Write(table);
            return 0;
        });
        return command;
    }

    private static void WriteRows(TextWriter output, IReadOnlyList<SeedSummaryRow> rows, string metricName)
    {
        var table = new Table().Border(TableBorder.Markdown);
        foreach (string header in new[] { "method", "knob per seed", $"dev {metricName}", "% of full", "mean layers", "batch-1 latency, % of full", "batch speed-up", "distinct plans", "seeds" })
            table.AddColumn(header);
        foreach (var r in rows)
        {
            table.AddRow(new[]
            {
                r.Method, string.Join(", ", r.Knobs.Select(k => k is { } v ? Math.Round(v, 4).ToString(CultureInfo.InvariantCulture) : "-")),
                r.Metric.Count == 0 ? "none keeps it" : r.Metric.Format(4), r.OfFull.Format(1), r.MeanLayers.Format(2), r.LatencyOfFull.Format(1),
                r.ThroughputSpeedUp.Format(2), r.DistinctPlans.Format(1), r.Metric.Count.ToString(CultureInfo.InvariantCulture),
            }.Select(Markup.Escape).ToArray());
        }
        CliConsole.For(output).Write(table);
    }

    private static string Knob(SeedSummaryRow row) => row.Knobs[0] is { } v ? Math.Round(v, 4).ToString(CultureInfo.InvariantCulture) : "-";

    // Each item a tradeoff.json or a folder holding one; static depths outside the filter are dropped.
    private static List<TradeoffResult> Load(string list, HashSet<double>? depths) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(item =>
    {
        string path = Directory.Exists(item) ? Path.Combine(item, "tradeoff.json") : item;
        if (!File.Exists(path)) throw new CliInputException($"{path}: not found (give tradeoff.json files or the folders dpbert tradeoff wrote)");
        TradeoffResult sweep;
        try { sweep = ResultFiles.LoadTradeoff(path); }
        catch (InvalidDataException e) { throw new CliInputException(e.Message); }
        return depths is null ? sweep : sweep with { Points = sweep.Points.Where(p => p.Method != Methods.StaticDepthMethod.Instance.Name || p.KnobValue is { } k && depths.Contains(k)).ToList() };
    }).ToList();

    // Sweeps of different tasks or metrics cannot be averaged.
    private static void SameTask(List<TradeoffResult> sweeps, string option)
    {
        if (sweeps.Count == 0) throw new CliInputException($"{option}: no sweeps given");
        var first = sweeps[0];
        if (sweeps.FirstOrDefault(s => s.Task != first.Task || s.MetricName != first.MetricName) is { } other)
            throw new CliInputException($"{option}: the sweeps are of different tasks or metrics ({first.Task} {first.MetricName} and {other.Task} {other.MetricName}); give one task's sweeps");
    }

    private static List<double> ParseList(string text, string option) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t =>
        double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : throw new CliInputException($"{option}: \"{t}\" is not a number")).ToList();
}
