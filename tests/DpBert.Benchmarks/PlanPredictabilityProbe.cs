using System.Globalization;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.EarlyExit;
using DpBert.Glue;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DpBert.Benchmarks;

/// <summary>
/// Development (issue 18): how far could any planner that reads what DPBERT's planner reads get on a frozen model, and is
/// that ahead of early exit? On a fine-tuned classifier, not retrained (the full model is the reference; SST-2 by default,
/// <c>--task</c>, <c>--held-out</c> and <c>--held-out-rows</c> as the comparisons set them, e.g. <c>--task mrpc
/// --held-out 400 --held-out-rows any</c>), for every plan that runs the first <c>--always</c> layers (k) and any of the rest, a separate logistic regression (ML.NET L-BFGS,
/// standardised features, L2 1.0) learns from the mean of the real tokens' states after layer k whether that plan keeps the
/// full model's prediction. It learns on <c>--fit</c> training rows (evenly spaced among those of at least <c>--min-words</c>
/// words: most SST-2 training rows are short phrases, its held-out sentences average 19 words; the held-out rows excluded)
/// and predicts on the held-out rows (by default SST-2's <c>--held-out 872 --held-out-rows whole</c>, as the SST-2
/// comparison sets them aside). The rule at threshold θ: each input takes the cheapest plan whose predicted probability of keeping the
/// prediction is at least θ (the full plan always qualifies). This is the planner DPBERT's training aims at, with each
/// plan's success predicted by its own model rather than by independent per-layer gates, and without a backbone retrained
/// to tolerate skipping. Beside it, the per-input oracle (the cheapest plan that keeps the prediction, known in
/// advance) and DeeBERT's exits (<c>--deebert</c>, a folder of <c>dpbert exits --method deebert</c> on the same model) on
/// the same rows, all in layers run (the cost the latency follows, less the embeddings, head and planner).
/// <c>--read-layer m</c> (default k) reads the features after layer m instead: with m = L the predictor knows what the
/// whole model knows, which no planner can, and so separates what layer k does not tell from what no state tells.
/// </summary>
internal static class PlanPredictabilityProbe
{
    public static void Run(string modelFolder, string deebertFolder, int always, int fitCount, int minWords, int maxLength, int readLayer = 0,
        string task = "sst2", int heldOutCount = 872, HeldOutRows heldOutRows = HeldOutRows.Whole)
    {
        var started = DateTime.UtcNow;
        var loaded = ModelFolder.LoadSequenceClassifier(modelFolder);
        var model = loaded.Model;
        int layers = loaded.Config.NumHiddenLayers, free = layers - always, plans = 1 << free;
        if (always < 1 || always >= layers) throw new ArgumentException($"--always {always} is not in [1, {layers})");
        if (readLayer == 0) readLayer = always;
        if (readLayer < 1 || readLayer > layers) throw new ArgumentException($"--read-layer {readLayer} is not in [1, {layers}]");
        var (training, heldOut) = GlueDataset.Load(task, "train").SplitHeldOut(heldOutCount, rows: heldOutRows);
        if (loaded.Config.NumLabels < 2) throw new ArgumentException($"{modelFolder}: a regression model; the probe compares predicted classes");
        var pool = training.Where(r => r.TextA.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= minWords).ToList();
        if (pool.Count < fitCount) throw new ArgumentException($"--fit {fitCount}: only {pool.Count} training rows have at least {minWords} words");
        var fitRows = Enumerable.Range(0, fitCount).Select(i => pool[(int)((long)i * pool.Count / fitCount)]).ToList();
        var fit = Measure(loaded, fitRows, always, readLayer, plans, maxLength);
        var test = Measure(loaded, heldOut.ToList(), always, readLayer, plans, maxLength);
        Console.WriteLine($"# {modelFolder} ({task}): k = {always}, features from layer {readLayer}; {plans} plans measured on {fitRows.Count} training rows of {minWords}+ words and {test.Full.Length} held-out rows, {(DateTime.UtcNow - started).TotalSeconds:F0} s");

        // Each plan's probability of keeping the prediction, learned on the training rows, predicted for the held-out rows.
        var probability = new double[plans][];
        for (int p = 0; p < plans; p++)
        {
            var labels = fit.Keeps[p];
            int positives = labels.Count(x => x);
            probability[p] = positives == 0 || positives == labels.Length
                ? Enumerable.Repeat(positives == 0 ? 0.0 : 1.0, test.Full.Length).ToArray()
                : FitAndPredict(fit.Features, labels, test.Features);
        }
        var gold = heldOut.Select(r => r.Label ?? -1).ToArray();
        int n = gold.Length;
        double fullAccuracy = Enumerable.Range(0, n).Count(i => test.Full[i] == gold[i]) / (double)n;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# full model on the held-out rows: {fullAccuracy:P2} ({layers} layers); {(DateTime.UtcNow - started).TotalSeconds:F0} s"));
        Console.WriteLine("| method | knob | accuracy | of full | agrees with full | mean layers | plans used |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var order = Enumerable.Range(0, plans).OrderBy(p => System.Numerics.BitOperations.PopCount((uint)p)).ToArray();
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
            Report("plan predictor", $"θ {theta:0.###}", chosen.Select((p, i) => test.Predictions[p][i]).ToArray(),
                chosen.Select(p => always + System.Numerics.BitOperations.PopCount((uint)p)).ToArray(), chosen.Distinct().Count());
        }
        var oracle = Enumerable.Range(0, n).Select(i => order.First(p => test.Keeps[p][i])).ToArray();
        Report("oracle", "", oracle.Select((p, i) => test.Predictions[p][i]).ToArray(),
            oracle.Select(p => always + System.Numerics.BitOperations.PopCount((uint)p)).ToArray(), oracle.Distinct().Count());

        var (_, deebert) = EarlyExitFolder.Load(deebertFolder);
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
            Report("DeeBERT", $"entropy {entropy:0.##}", predictions.ToArray(), run.ToArray(), run.Distinct().Count());
        }
        Console.WriteLine($"# {(DateTime.UtcNow - started).TotalSeconds:F0} s in all");

        void Report(string method, string knob, int[] predictions, int[] layersRun, int distinct)
        {
            double accuracy = Enumerable.Range(0, n).Count(i => predictions[i] == gold[i]) / (double)n;
            double agrees = Enumerable.Range(0, n).Count(i => predictions[i] == test.Full[i]) / (double)n;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {method} | {knob} | {accuracy:P2} | {accuracy / fullAccuracy:P1} | {agrees:P1} | {layersRun.Average():F2} | {distinct} |"));
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

    private sealed class Example
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    private sealed class Scored
    {
        public float Probability { get; set; }
    }

    private static double[] FitAndPredict(float[][] features, bool[] labels, float[][] test)
    {
        var ml = new MLContext(seed: 0);
        var schema = SchemaDefinition.Create(typeof(Example));
        schema[nameof(Example.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features[0].Length);
        var train = ml.Data.LoadFromEnumerable(features.Select((f, i) => new Example { Features = f, Label = labels[i] }), schema);
        var pipeline = ml.Transforms.NormalizeMeanVariance(nameof(Example.Features))
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(l2Regularization: 1f));
        var fitted = pipeline.Fit(train);
        var scored = fitted.Transform(ml.Data.LoadFromEnumerable(test.Select(f => new Example { Features = f }), schema));
        return ml.Data.CreateEnumerable<Scored>(scored, reuseRowObject: false).Select(s => (double)s.Probability).ToArray();
    }
}
