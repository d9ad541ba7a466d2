using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DpBert.Checkpoints;
using DpBert.Evaluation;
using DpBert.Glue;
using DpBert.Planning;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert oracle --task sst2 --model &lt;fine-tuned folder&gt;</c>: for each input of a split, the cheapest plan
/// that keeps the full model's prediction (<see cref="OraclePlans"/>): how much any planner could save on this
/// model. Writes <c>oracle_plans.jsonl</c> (the <c>oracle</c> method of <c>evaluate</c> and <c>tradeoff</c> runs
/// them) and <c>oracle_summary.json</c> into <c>&lt;model&gt;/oracle</c>.
/// </summary>
internal static class OracleCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "GLUE task the model was fine-tuned on.", Required = true };
        var model = new Option<string>("--model") { Description = "Folder (or Hugging Face model id) of the model fine-tuned at full depth.", Required = true };
        var k = new Option<int>("--always-run-layers") { Description = "Layers every plan runs (k).", DefaultValueFactory = _ => 1 };
        var split = new Option<string?>("--split") { Description = "dev (default), heldout (with --held-out N) or train." };
        var heldOut = new HeldOutFlags("Training rows set aside (fixed seed), as in finetune, plan and exits.");
        var dataDir = new Option<string?>("--data-dir") { Description = "GLUE folder; default: $GLUE_DIR, then data/glue." };
        var maxEval = new Option<int?>("--max-eval-samples") { Description = "Only the first N rows of the split." };
        var maxSeq = new Option<int>("--max-seq-length") { Description = "Truncation length in tokens (use the evaluation's).", DefaultValueFactory = _ => 128 };
        var batch = new Option<int>("--batch-size") { Description = "Inputs per forward pass.", DefaultValueFactory = _ => 32 };
        var tolerance = new Option<double>("--regression-tolerance") { Description = "Largest change of a regression score that keeps the prediction.", DefaultValueFactory = _ => 0.1 };
        var margin = new Option<double>("--margin") { Description = "Logit margin of the full model's class a smaller plan must keep (classification; 0 = the same class).", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--output") { Description = "Output folder (default: <model>/oracle)." };
        var command = new Command("oracle", "For each input, the cheapest plan that keeps the full model's prediction: the bound on what a planner can save.")
        {
            task, model, k, split, dataDir, maxEval, maxSeq, batch, tolerance, margin, output,
        };
        heldOut.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var glueTask = GlueTask.FromName(parse.GetValue(task)!);
            if (parse.GetValue(batch) < 1) throw new CliInputException($"--batch-size {parse.GetValue(batch)}: must be at least 1");
            if (parse.GetValue(maxSeq) < 2) throw new CliInputException($"--max-seq-length {parse.GetValue(maxSeq)}: must be at least 2 ([CLS] and [SEP])");
            if (!(parse.GetValue(margin) >= 0) || double.IsInfinity(parse.GetValue(margin))) throw new CliInputException($"--margin {parse.GetValue(margin)}: must be a finite number >= 0");
            string modelDir = parse.GetValue(model)!;
            string folder = OutputPaths.Folder(parse.GetValue(output) ?? Path.Combine(modelDir, OracleMethod.Instance.DefaultFolderName), "--output");
            var loaded = ModelFolder.LoadSequenceClassifier(modelDir);
            GlueSets.RequireFits(glueTask, loaded.Config, modelDir);
            var sets = GlueSets.Load(glueTask, loaded.Tokenizer, parse.GetValue(dataDir), parse.GetValue(maxSeq), null, parse.GetValue(maxEval),
                withTrain: false, heldOut: heldOut.Read(parse), evalSplit: parse.GetValue(split));
            var data = sets.Eval;
            stderr.WriteLine($"{glueTask.Name} {sets.EvalSplit}: {data.Count:N0} inputs; searching the cheapest plan of each ({loaded.Config.NumHiddenLayers} layers, k = {parse.GetValue(k)})");
            var progress = new ProgressLine(stderr, data.Count, "searched");
            OraclePlans oracle;
            try { oracle = OraclePlans.Search(loaded.Model, data, parse.GetValue(k), parse.GetValue(batch), parse.GetValue(tolerance), progress, parse.GetValue(margin)); }
            catch (ArgumentOutOfRangeException e) { throw new CliInputException(CliApp.OneLine(e)); }
            finally { progress.Finish(); }

            Directory.CreateDirectory(folder);
            OracleMethod.WritePlans(Path.Combine(folder, OracleMethod.PlansFileName), Enumerable.Range(0, data.Count).Select(i => data.TokenIds(i).ToArray()).ToList(), oracle.Plans);
            var confidence = FullConfidence(loaded, data, parse.GetValue(batch));
            var diversity = PlanDiversity.From(oracle.Plans, confidence, data.Lengths);
            var histogram = new int[loaded.Config.NumHiddenLayers + 1];
            foreach (var p in oracle.Plans) histogram[p.ExecutedCount]++;
            var summary = new
            {
                task = glueTask.Name, split = sets.EvalSplit, inputs = data.Count, always_run_layers = oracle.AlwaysRunLayers,
                min_margin = oracle.MinMargin, mean_layers = oracle.MeanLayers, depth_histogram = histogram, diversity,
            };
            File.WriteAllText(Path.Combine(folder, "oracle_summary.json"), JsonSerializer.Serialize(summary, new JsonSerializerOptions(CliApp.Json) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            var c = CultureInfo.InvariantCulture;
            stdout.WriteLine(string.Create(c, $"oracle on {glueTask.Name} {sets.EvalSplit} ({data.Count:N0} inputs): {oracle.MeanLayers:F2} of {loaded.Config.NumHiddenLayers} layers on average"));
            stdout.WriteLine($"inputs by layers run: {string.Join("  ", histogram.Select((n, d) => $"{d}:{n}").Where((_, d) => histogram[d] > 0))}");
            // A correlation is undefined when every input runs as many layers (or, for confidence, on a regression model).
            string R(double r) => double.IsNaN(r) ? "n/a" : r.ToString("F2", c);
            string why = histogram.Count(n => n > 0) == 1 ? " (every input runs as many layers)" : loaded.Model.IsRegression ? " (a regression model has no confidence)" : "";
            stdout.WriteLine(string.Create(c, $"{diversity.DistinctPlans} distinct plans, entropy {diversity.EntropyBits:F2} bits; layers run vs the full model's confidence r = {R(diversity.LayersVsConfidence)}, vs length r = {R(diversity.LayersVsLength)}{why}"));
            stdout.WriteLine($"most used plans: {string.Join(", ", diversity.TopPlans.Select(p => string.Create(c, $"{p.Plan} {p.Share:P1}")))}");
            stdout.WriteLine($"plans: {Path.Combine(folder, OracleMethod.PlansFileName)} (measure them with --methods full,oracle,...)");
            return 0;
        });
        return command;
    }

    private static double[] FullConfidence(LoadedModel loaded, DpBert.Training.EncodedDataset data, int batchSize)
    {
        var output = DpBert.Training.EvaluationOutput.Predict(loaded.Model, data, batchSize);
        int n = loaded.Config.NumLabels;
        if (loaded.Model.IsRegression) return Enumerable.Repeat(double.NaN, data.Count).ToArray();
        var probabilities = loaded.Model.Probabilities(output.Logits);
        return Enumerable.Range(0, data.Count).Select(i => (double)probabilities.AsSpan(i * n, n).ToArray().Max()).ToArray();
    }
}
