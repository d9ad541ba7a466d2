using DpBert.Bert;
using DpBert.Training;

namespace DpBert.Planning;

/// <summary>
/// Oracle plans: for each input, the cheapest plan (fewest layers, the first k always run) among all
/// 2^(L-k) that keeps the full model's prediction (the same class; for regression, a score within
/// <see cref="RegressionTolerance"/>), found by running the model on every plan of increasing size until each
/// input has one. Among the cheapest plans that keep it, the one with the largest margin (logit of the full
/// model's class over the best other class; for regression the smallest deviation) is chosen. It is an upper
/// bound on what any planner reading the same model could save, and a training target for one.
/// <para>With two classes, a plan that computes nothing useful still keeps the full model's class for about half of
/// the inputs, by chance; as a training target such plans are noise. A <see cref="MinMargin"/> above 0 counts a plan
/// as keeping the prediction only when it gives the full model's class by at least that logit margin (2.2 is a
/// probability of 0.9 with two classes); an input that no smaller plan keeps so gets the full plan.</para>
/// </summary>
/// <param name="Plans">One plan per input, in dataset order.</param>
/// <param name="AlwaysRunLayers">k: the layers every plan runs.</param>
/// <param name="RegressionTolerance">Largest change of a regression score that still keeps the prediction.</param>
/// <param name="MinMargin">Smallest logit margin of the full model's class that counts as keeping it (classification; 0 = same class).</param>
public sealed record OraclePlans(IReadOnlyList<LayerPlan> Plans, int AlwaysRunLayers, double RegressionTolerance, double MinMargin = 0)
{
    /// <summary>Mean number of layers of the oracle plans.</summary>
    public double MeanLayers => Plans.Count == 0 ? double.NaN : Plans.Average(p => p.ExecutedCount);

    /// <summary>
    /// Searches the oracle plan of every input of <paramref name="data"/> on <paramref name="model"/> (batches of
    /// <paramref name="batchSize"/>); <paramref name="progress"/> receives the number of inputs done. <paramref name="minMargin"/>:
    /// see <see cref="MinMargin"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k is not in [1, L), or the margin is negative.</exception>
    public static OraclePlans Search(BertForSequenceClassification model, EncodedDataset data, int alwaysRunLayers, int batchSize,
        double regressionTolerance = 0.1, IProgress<int>? progress = null, double minMargin = 0)
    {
        if (!(minMargin >= 0) || double.IsInfinity(minMargin)) throw new ArgumentOutOfRangeException(nameof(minMargin), $"oracle margin {minMargin} must be a finite number >= 0");
        double required = model.IsRegression ? 0 : minMargin;
        int layers = model.Config.NumHiddenLayers, labels = model.Config.NumLabels;
        PlanningModule.CheckAlwaysRunLayers(alwaysRunLayers, layers);
        var candidates = Candidates(layers, alwaysRunLayers);
        var plans = new LayerPlan[data.Count];
        var bySize = candidates.GroupBy(p => p.ExecutedCount).OrderBy(g => g.Key).ToArray();
        foreach (var (start, indices, batch) in data.InBatches(batchSize, model.Config.PadTokenId))
        {
            var reference = model.Forward(batch);
            // Plans by size, each size tried only on the rows still without a plan (the full plan always keeps).
            var open = Enumerable.Range(0, indices.Length).ToList();
            foreach (var size in bySize)
            {
                var rows = open.Select(r => indices[r]).ToArray();
                var sub = data.Batch(rows, model.Config.PadTokenId);
                var best = Enumerable.Repeat(double.NegativeInfinity, open.Count).ToArray();
                var found = new LayerPlan?[open.Count];
                foreach (var plan in size)
                {
                    var logits = model.Forward(sub, new FixedPlans(plan));
                    for (int i = 0; i < open.Count; i++)
                    {
                        double margin = Margin(logits.AsSpan(i * labels, labels), reference.AsSpan(open[i] * labels, labels), model.IsRegression, regressionTolerance);
                        if (margin >= required && margin > best[i]) { best[i] = margin; found[i] = plan; }
                    }
                }
                for (int i = 0; i < open.Count; i++) if (found[i] is { } plan) plans[start + open[i]] = plan;
                open = open.Where((_, i) => found[i] is null).ToList();
                if (open.Count == 0) break;
            }
            // Only with a margin: inputs whose full model is itself less sure than the margin keep the full plan.
            foreach (int r in open) plans[start + r] = LayerPlan.Full(layers);
            progress?.Report(start + indices.Length);
        }
        return new OraclePlans(plans, alwaysRunLayers, regressionTolerance, required);
    }

    /// <summary>
    /// How well <paramref name="logits"/> keep the prediction of <paramref name="reference"/>: for classification the
    /// logit of the reference class minus the best other one (negative when the class changes); for regression
    /// the tolerance minus the deviation.
    /// </summary>
    internal static double Margin(ReadOnlySpan<float> logits, ReadOnlySpan<float> reference, bool regression, double tolerance)
    {
        if (regression) return tolerance - Math.Abs(logits[0] - reference[0]);
        int cls = 0;
        for (int j = 1; j < reference.Length; j++) if (reference[j] > reference[cls]) cls = j;
        double other = double.NegativeInfinity;
        for (int j = 0; j < logits.Length; j++) if (j != cls) other = Math.Max(other, logits[j]);
        return logits[cls] - other;
    }

    /// <summary>Every plan that runs the first k layers, in a fixed order.</summary>
    internal static IReadOnlyList<LayerPlan> Candidates(int layers, int alwaysRunLayers)
    {
        int planned = layers - alwaysRunLayers;
        return Enumerable.Range(0, 1 << planned)
            .Select(mask => new LayerPlan(Enumerable.Range(0, layers).Select(l => l < alwaysRunLayers || (mask >> (l - alwaysRunLayers) & 1) == 1)))
            .ToArray();
    }

    /// <summary>The planner's training targets: for each input and planned layer, 1 when its oracle plan runs it ((N, L - k), row-major).</summary>
    public float[] Targets()
    {
        int k = AlwaysRunLayers, planned = Plans.Count == 0 ? 0 : Plans[0].LayerCount - k;
        var targets = new float[Plans.Count * planned];
        for (int i = 0; i < Plans.Count; i++)
            for (int l = 0; l < planned; l++) targets[i * planned + l] = Plans[i].Runs(k + l) ? 1f : 0f;
        return targets;
    }
}
