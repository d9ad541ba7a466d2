using DpBert.Bert;

namespace DpBert.Planning;

/// <summary>
/// One classifier per plan length (this project's addition to DPBERT, <c>dpbert plan --depth-heads</c>): an input whose
/// plan runs m layers (k &lt;= m &lt;= L) is classified by head m, a Linear from the pooled output to the logits; every
/// head starts as a copy of the fine-tuned model's <c>classifier</c>. With the model's one head, a plan that skips layers
/// must suit a head trained at full depth, so a short plan costs every input that takes it; with a head per length, a
/// short plan has a head trained on short plans. Keys <c>planner.depth_head.{m}.weight</c> [num_labels, H] and
/// <c>planner.depth_head.{m}.bias</c>, stored with the planner.
/// </summary>
public sealed class DepthHeads
{
    private readonly Linear[] _heads;   // index m - k

    /// <summary>Layers every plan runs (k): the shortest plan's length.</summary>
    public int AlwaysRunLayers { get; }
    /// <summary>The model's layers (L): the longest plan's length.</summary>
    public int Layers => AlwaysRunLayers + _heads.Length - 1;

    /// <summary>Binds the heads of a model of <paramref name="config"/> with k = <paramref name="alwaysRunLayers"/> to <paramref name="parameters"/> (laid out by <see cref="Layout"/>).</summary>
    public DepthHeads(ParameterSet parameters, BertConfig config, int alwaysRunLayers)
    {
        AlwaysRunLayers = alwaysRunLayers;
        _heads = Enumerable.Range(alwaysRunLayers, config.NumHiddenLayers - alwaysRunLayers + 1).Select(m => new Linear(parameters, Prefix(m))).ToArray();
    }

    /// <summary>The heads' keys and shapes: one Linear (H to num_labels) per plan length k..L.</summary>
    public static IEnumerable<(string Name, int[] Shape)> Layout(BertConfig config, int alwaysRunLayers)
    {
        for (int m = alwaysRunLayers; m <= config.NumHiddenLayers; m++)
        {
            yield return (Prefix(m) + ".weight", [config.NumLabels, config.HiddenSize]);
            yield return (Prefix(m) + ".bias", [config.NumLabels]);
        }
    }

    private static string Prefix(int layersRun) => $"planner.depth_head.{layersRun}";

    /// <summary>The head of plans that run <paramref name="layersRun"/> layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No plan runs that many layers (outside [k, L]).</exception>
    public Linear For(int layersRun)
    {
        if (layersRun < AlwaysRunLayers || layersRun > Layers)
            throw new ArgumentOutOfRangeException(nameof(layersRun), $"a plan runs {AlwaysRunLayers} to {Layers} layers, not {layersRun}");
        return _heads[layersRun - AlwaysRunLayers];
    }

    /// <summary>Sets every head to a copy of <paramref name="classifier"/> (the fine-tuned model's head, in <paramref name="source"/>).</summary>
    public void CopyFrom(Linear classifier, ParameterSet source, ParameterSet target)
    {
        foreach (var head in _heads) Copy(classifier, source, head, target);
        target.MarkChanged();
    }

    /// <summary>Copies the head of full-length plans (m = L) into <paramref name="classifier"/> (the model's own head, in <paramref name="target"/>).</summary>
    public void CopyFullDepthHeadTo(Linear classifier, ParameterSet source, ParameterSet target)
    {
        Copy(For(Layers), source, classifier, target);
        target.MarkChanged();
    }

    private static void Copy(Linear from, ParameterSet source, Linear to, ParameterSet target)
    {
        source.Span(from.Weight).CopyTo(target.Span(to.Weight));
        source.Span(from.Bias).CopyTo(target.Span(to.Bias));
    }

    /// <summary>Logits (B, num_labels): row r of <paramref name="pooled"/> (B, H) through the head of <paramref name="layersRun"/>[r].</summary>
    public void Forward(Span<float> logits, ReadOnlySpan<float> pooled, ReadOnlySpan<int> layersRun, int batchSize)
    {
        int h = _heads[0].InFeatures, n = _heads[0].OutFeatures;
        for (int r = 0; r < batchSize; r++) For(layersRun[r]).Forward(logits.Slice(r * n, n), pooled.Slice(r * h, h), 1);
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: each row's head accumulates its gradients into <paramref name="grads"/> (shaped like
    /// the planner's parameters) and adds the gradient of the row's pooled output to <paramref name="dPooled"/>.
    /// </summary>
    public void Backward(Span<float> dPooled, ParameterSet grads, ReadOnlySpan<float> dLogits, ReadOnlySpan<float> pooled, ReadOnlySpan<int> layersRun, int batchSize)
    {
        int h = _heads[0].InFeatures, n = _heads[0].OutFeatures;
        for (int r = 0; r < batchSize; r++)
            For(layersRun[r]).Backward(dPooled.Slice(r * h, h), grads, dLogits.Slice(r * n, n), pooled.Slice(r * h, h), 1);
    }
}
