using DpBert.Bert;
using DpBert.Glue;

namespace DpBert.Evaluation;

/// <summary>
/// How much a method's plans differ from input to input: a planner that has learned a fixed subset of layers
/// uses one plan for everything (entropy 0), one that plans per input spreads its inputs over several plans and
/// runs more layers where the input is harder.
/// </summary>
/// <param name="DistinctPlans">Number of different plans used.</param>
/// <param name="EntropyBits">Entropy of the distribution of plans over the inputs, in bits (0: one plan for all).</param>
/// <param name="LayersVsConfidence">Pearson correlation of the layers an input ran with the full model's
/// confidence in its answer (negative: less confident inputs run more layers); NaN when the layers do not vary.</param>
/// <param name="LayersVsLength">Pearson correlation of the layers run with the input's length in tokens; NaN when the layers do not vary.</param>
/// <param name="TopPlans">The most used plans (as <c>1101..</c>) with their share of the inputs, most used first (at most five).</param>
public sealed record PlanDiversity(int DistinctPlans, double EntropyBits, double LayersVsConfidence, double LayersVsLength, IReadOnlyList<PlanShare> TopPlans)
{
    /// <summary>
    /// The diversity of <paramref name="plans"/> (one per input), related to <paramref name="fullConfidence"/> (the
    /// full model's probability of its predicted class per input; for regression any per-input certainty) and to
    /// <paramref name="lengths"/> (tokens per input).
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length or are empty.</exception>
    public static PlanDiversity From(IReadOnlyList<LayerPlan> plans, IReadOnlyList<double> fullConfidence, IReadOnlyList<int> lengths)
    {
        if (plans.Count == 0) throw new ArgumentException("no plans", nameof(plans));
        if (fullConfidence.Count != plans.Count || lengths.Count != plans.Count)
            throw new ArgumentException($"{plans.Count} plans, {fullConfidence.Count} confidences and {lengths.Count} lengths");
        var counts = plans.GroupBy(p => p.ToString()).Select(g => (Plan: g.Key, Count: g.Count())).OrderByDescending(g => g.Count).ThenBy(g => g.Plan, StringComparer.Ordinal).ToList();
        double entropy = 0;
        foreach (var (_, count) in counts)
        {
            double p = (double)count / plans.Count;
            entropy -= p * Math.Log2(p);
        }
        var layers = plans.Select(p => (float)p.ExecutedCount).ToArray();
        bool varies = plans.Count > 1 && layers.Distinct().Count() > 1;
        double vsConfidence = varies ? GlueMetrics.Pearson(layers, fullConfidence.Select(c => (float)c).ToArray()) : double.NaN;
        double vsLength = varies ? GlueMetrics.Pearson(layers, lengths.Select(l => (float)l).ToArray()) : double.NaN;
        return new PlanDiversity(counts.Count, Math.Max(0, entropy), vsConfidence, vsLength,
            counts.Take(5).Select(c => new PlanShare(c.Plan, (double)c.Count / plans.Count)).ToArray());
    }
}

/// <summary>One plan and the share of the inputs that used it.</summary>
/// <param name="Plan">The plan as <c>1101..</c> (1 = the layer ran).</param>
/// <param name="Share">Fraction of the inputs, in [0, 1].</param>
public sealed record PlanShare(string Plan, double Share);
