using System.Globalization;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.EarlyExit;
using DpBert.Glue;

namespace DpBert.Benchmarks;

/// <summary>
/// Development (issue 18): on a frozen model, how far does a predictor per plan get that reads what DPBERT's planner
/// reads, and is that ahead of early exit? On a fine-tuned classifier, not retrained (the full model is the reference; SST-2
/// by default, <c>--task</c>, <c>--held-out</c> and <c>--held-out-rows</c> as the comparisons set them, e.g. <c>--task
/// mrpc --held-out 400 --held-out-rows any</c>), for every plan that runs the first <c>--always</c> layers (k) and any of
/// the rest, a separate logistic regression (<see cref="LogisticFit"/>) learns from the mean of the real tokens' states
/// after layer k whether that plan keeps the full model's prediction. By default it learns on <c>--fit</c> training rows
/// (evenly spaced among those of at least <c>--min-words</c> words: most SST-2 training rows are short phrases, its
/// held-out sentences average 19 words; the held-out rows excluded), as a planner would, and predicts on the held-out rows
/// (by default SST-2's <c>--held-out 872 --held-out-rows whole</c>, as the SST-2 comparison sets them aside). The model
/// was fine-tuned on those training rows, so it is surer of them than of unseen ones, and a plan keeps its prediction more
/// often there: <c>--cross-fit N</c> instead learns on the held-out rows themselves, each of N contiguous folds predicted
/// by predictors fitted on the other folds, so that the labels come from rows like those it is judged on. The predictors are
/// fitted once per L2 weight of <c>--l2</c> (default 1, 10, 100 and 1000) on the same measurements, each weight a group of
/// rows of the table, since how hard to regularise 384 features is not known in advance (ML.NET adds the penalty to the
/// sum of the rows' losses, so one weight pulls about 5.7 times harder on 698 cross-fitted rows than on 4,000 training
/// rows). The rule at threshold θ: each input takes the cheapest plan whose predicted probability of keeping the
/// prediction is at least θ, the most probable of the cheapest if several qualify (the full plan always qualifies). Each
/// row of the table gives, beside the agreement with the full model measured, the agreement the predictors promised (the
/// mean predicted probability of the chosen plans, 1 for the full plan): well-calibrated predictors promise roughly what
/// they get (the choice of the most probable plan still biases the promise upwards). This is the planner DPBERT's training aims at, with each plan's success
/// predicted by its own model rather than by independent per-layer gates, and without a backbone retrained to tolerate
/// skipping; a better predictor (another model, other features) could do better, so only the oracle is a bound. Beside
/// it, the per-input oracle (the cheapest plan that keeps the prediction, known in advance) and DeeBERT's exits
/// (<c>--deebert</c>, a folder of <c>dpbert exits --method deebert</c> on the same model) on the same rows, all in layers
/// run (the cost the latency follows, less the embeddings, head and planner). <c>--read-layer m</c> (default k) reads the
/// features after layer m instead: with m = L the predictor knows what the whole model knows, which no planner can, and
/// so separates what layer k does not tell from what no state tells.
/// </summary>
internal static class PlanPredictabilityProbe
{
    /// <summary>The probe's settings, named as its command-line options.</summary>
    public sealed record Options(string Model, string DeeBert)
    {
        public int Always { get; init; } = 2;
        public int Fit { get; init; } = 4000;
        public int MinWords { get; init; }
        public int MaxLength { get; init; } = 64;
        /// <summary>0: k.</summary>
        public int ReadLayer { get; init; }
        public string Task { get; init; } = "sst2";
        public int HeldOut { get; init; } = 872;
        public HeldOutRows HeldOutRows { get; init; } = HeldOutRows.Whole;
        /// <summary>0: fit on training rows.</summary>
        public int CrossFit { get; init; }
        /// <summary>Each is a row group of the table: the predictors fitted again at that L2 weight on the same measurements.</summary>
        public float[] L2 { get; init; } = [1f, 10f, 100f, 1000f];
        /// <summary>The default of <see cref="L2"/> as the option writes it.</summary>
        public const string DefaultL2 = "1,10,100,1000";
    }

    public static void Run(Options o)
    {
        string modelFolder = o.Model;
        int always = o.Always, readLayer = o.ReadLayer, crossFitFolds = o.CrossFit, maxLength = o.MaxLength;
        var started = DateTime.UtcNow;
        var loaded = ModelFolder.LoadSequenceClassifier(modelFolder);
        int layers = loaded.Config.NumHiddenLayers;
        if (always < 1 || always >= layers) throw new ArgumentException($"--always {always} is not in [1, {layers})");
        int free = layers - always, plans = 1 << free;
        if (readLayer == 0) readLayer = always;
        if (readLayer < 1 || readLayer > layers) throw new ArgumentException($"--read-layer {readLayer} is not in [1, {layers}]");
        if (crossFitFolds == 1 || crossFitFolds < 0) throw new ArgumentException($"--cross-fit {crossFitFolds}: use 0 (fit on training rows) or at least 2 folds");
        if (o.L2.Length == 0 || o.L2.Any(w => !float.IsFinite(w) || w < 0))
            throw new ArgumentException($"--l2 {string.Join(",", o.L2.Select(w => w.ToString(CultureInfo.InvariantCulture)))}: give one or more finite weights of at least 0");
        if (loaded.Config.NumLabels < 2) throw new ArgumentException($"{modelFolder}: a regression model; the probe compares predicted classes");
        var (training, heldOut) = GlueDataset.Load(o.Task, "train").SplitHeldOut(o.HeldOut, rows: o.HeldOutRows);
        if (crossFitFolds > heldOut.Count) throw new ArgumentException($"--cross-fit {crossFitFolds}: only {heldOut.Count} held-out rows");
        List<GlueExample>? fitRows = null;
        if (crossFitFolds == 0)
        {
            var pool = training.Where(r => r.TextA.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= o.MinWords).ToList();
            if (pool.Count < o.Fit) throw new ArgumentException($"--fit {o.Fit}: only {pool.Count} training rows have at least {o.MinWords} words");
            fitRows = Enumerable.Range(0, o.Fit).Select(i => pool[(int)((long)i * pool.Count / o.Fit)]).ToList();
        }
        var test = Measure(loaded, heldOut.ToList(), always, readLayer, plans, maxLength);
        var fit = fitRows is null ? null : Measure(loaded, fitRows, always, readLayer, plans, maxLength);
        string fitDescription = fitRows is null ? $"{crossFitFolds}-fold cross-fitting on the held-out rows" : $"fitted on {fitRows.Count} training rows of {o.MinWords}+ words";
        Console.WriteLine($"# {modelFolder} ({o.Task}): k = {always}, features from layer {readLayer}; {plans} plans, predictors {fitDescription}, judged on {test.Full.Length} held-out rows; {(DateTime.UtcNow - started).TotalSeconds:F0} s");

        var gold = heldOut.Select(r => r.Label ?? -1).ToArray();
        int n = gold.Length;
        double fullAccuracy = Enumerable.Range(0, n).Count(i => test.Full[i] == gold[i]) / (double)n;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# full model on the held-out rows: {fullAccuracy:P2} ({layers} layers)"));
        Console.WriteLine("| method | L2 | knob | accuracy | of full | agrees with full | promised | mean layers | plans used |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var order = Enumerable.Range(0, plans).OrderBy(p => System.Numerics.BitOperations.PopCount((uint)p)).ToArray();
        foreach (float l2 in o.L2)
        {
            // Each plan's probability of keeping the prediction, predicted for the held-out rows.
            var probability = new double[plans][];
            for (int p = 0; p < plans; p++)
                probability[p] = fit is null ? LogisticFit.CrossFitted(test.Features, test.Keeps[p], crossFitFolds, l2) : LogisticFit.FitAndPredict(fit.Features, fit.Keeps[p], test.Features, l2);
            foreach (double theta in new[] { 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99 })
            {
                var chosen = new int[n];
                for (int i = 0; i < n; i++)
                {
                    int best = plans - 1, size = free;
                    foreach (int p in order)
                    {
                        int bits = System.Numerics.BitOperations.PopCount((uint)p);
                        if (bits > size) break;
                        if (probability[p][i] >= theta && (bits < size || probability[p][i] > probability[best][i])) { best = p; size = bits; }
                    }
                    chosen[i] = best;
                }
                Report("plan predictor", l2.ToString(CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"θ {theta:0.###}"), chosen.Select((p, i) => test.Predictions[p][i]).ToArray(),
                    chosen.Select(p => always + System.Numerics.BitOperations.PopCount((uint)p)).ToArray(), chosen.Distinct().Count(),
                    chosen.Select((p, i) => p == plans - 1 ? 1.0 : probability[p][i]).Average());
            }
        }
        var oracle = Enumerable.Range(0, n).Select(i => order.First(p => test.Keeps[p][i])).ToArray();
        Report("oracle", "", "", oracle.Select((p, i) => test.Predictions[p][i]).ToArray(),
            oracle.Select(p => always + System.Numerics.BitOperations.PopCount((uint)p)).ToArray(), oracle.Distinct().Count());

        var (_, deebert) = EarlyExitFolder.Load(o.DeeBert);
        foreach (double entropy in new[] { 0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 })
        {
            var predictions = new List<int>();
            var run = new List<int>();
            foreach (var (batch, _) in SkipApproximationProbe.Batches(loaded, heldOut.ToList(), maxLength))
            {
                var output = deebert.Classify(batch, entropy);
                predictions.AddRange(SkipApproximationProbe.Argmax(output.Logits, batch.BatchSize));
                run.AddRange(output.Plans.Select(p => p.ExecutedCount));
            }
            Report("DeeBERT", "", string.Create(CultureInfo.InvariantCulture, $"entropy {entropy:0.##}"), predictions.ToArray(), run.ToArray(), run.Distinct().Count());
        }
        Console.WriteLine($"# {(DateTime.UtcNow - started).TotalSeconds:F0} s in all");

        void Report(string method, string l2, string knob, int[] predictions, int[] layersRun, int distinct, double? promised = null)
        {
            double accuracy = Enumerable.Range(0, n).Count(i => predictions[i] == gold[i]) / (double)n;
            double agrees = Enumerable.Range(0, n).Count(i => predictions[i] == test.Full[i]) / (double)n;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {method} | {l2} | {knob} | {accuracy:P2} | {accuracy / fullAccuracy:P1} | {agrees:P1} | {(promised is { } v ? v.ToString("P1", CultureInfo.InvariantCulture) : "")} | {layersRun.Average():F2} | {distinct} |"));
        }
    }

    /// <summary>Per row: the full model's class, the mean of the real tokens after layer <c>readLayer</c>, and every plan's class and whether it keeps the full model's.</summary>
    private sealed record Measured(int[] Full, float[][] Features, int[][] Predictions, bool[][] Keeps);

    private static Measured Measure(LoadedModel loaded, IReadOnlyList<GlueExample> rows, int always, int readLayer, int plans, int maxLength)
    {
        var model = loaded.Model;
        int layers = loaded.Config.NumHiddenLayers, h = loaded.Config.HiddenSize;
        var full = new List<int>();
        var features = new List<float[]>();
        var predictions = Enumerable.Range(0, plans).Select(_ => new List<int>()).ToArray();
        foreach (var (batch, lengths) in SkipApproximationProbe.Batches(loaded, rows, maxLength))
        {
            var recorder = new HiddenStateRecorder();
            full.AddRange(SkipApproximationProbe.Argmax(model.Forward(batch, recorder), batch.BatchSize));
            var states = recorder.States[readLayer];
            for (int b = 0; b < batch.BatchSize; b++)
            {
                var mean = new float[h];
                for (int t = 0; t < lengths[b]; t++)
                    for (int d = 0; d < h; d++) mean[d] += states[(b * batch.SequenceLength + t) * h + d] / lengths[b];
                features.Add(mean);
            }
            for (int p = 0; p < plans; p++)
            {
                var plan = new LayerPlan(Enumerable.Range(0, layers).Select(l => l < always || (p >> (l - always) & 1) == 1).ToArray());
                predictions[p].AddRange(SkipApproximationProbe.Argmax(model.Forward(batch, new FixedPlans(plan)), batch.BatchSize));
            }
        }
        var fullArray = full.ToArray();
        return new Measured(fullArray, features.ToArray(), predictions.Select(p => p.ToArray()).ToArray(),
            predictions.Select(p => p.Select((c, i) => c == fullArray[i]).ToArray()).ToArray());
    }
}
