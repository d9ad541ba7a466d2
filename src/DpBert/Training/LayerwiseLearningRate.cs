
namespace DpBert.Training;

/// <summary>
/// Layer-wise learning-rate decay, as ELECTRA (Clark et al., 2020) and Sun et al. (2019, "How to fine-tune BERT for
/// text classification") fine-tune: the lower a parameter sits in the network, the smaller its learning rate, so the
/// task head moves freely while the pre-trained embeddings and lower layers, which hold the most general features,
/// move least. With decay <c>d</c> and <c>L</c> encoder layers, a parameter's rate is the peak rate times:
/// <list type="bullet">
/// <item><c>1</c> above the encoder (pooler, classifier, anything that is not the embeddings or an encoder layer);</item>
/// <item><c>d^(L - i)</c> in encoder layer <c>i</c> (counted from 0, so the top layer's rate is <c>lr · d</c>);</item>
/// <item><c>d^(L + 1)</c> in the embeddings.</item>
/// </list>
/// Layers are recognised by the Hugging Face keys (<c>…embeddings.*</c>, <c>…encoder.layer.{i}.*</c>).
/// </summary>
public static class LayerwiseLearningRate
{
    /// <summary>The learning-rate multiplier of parameter <paramref name="name"/> (see the class summary).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decay"/> is not in (0, 1], or <paramref name="numLayers"/> is negative.</exception>
    /// <exception cref="ArgumentException">The key names an encoder layer at or above <paramref name="numLayers"/>.</exception>
    public static double Scale(string name, int numLayers, double decay)
    {
        ArgumentNullException.ThrowIfNull(name);
        Check(numLayers, decay);
        if (decay == 1) return 1;
        if (LayerOf(name) is int layer)
        {
            if (layer >= numLayers) throw new ArgumentException($"parameter \"{name}\" names encoder layer {layer}, but the model has {numLayers} layers", nameof(name));
            return Math.Pow(decay, numLayers - layer);
        }
        return IsEmbedding(name) ? Math.Pow(decay, numLayers + 1) : 1;
    }

    /// <summary>A per-key multiplier for <see cref="AdamW"/> and <see cref="ParameterGroup.LearningRateScale"/>; null when <paramref name="decay"/> is 1 (no decay).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decay"/> is not in (0, 1], or <paramref name="numLayers"/> is negative.</exception>
    public static Func<string, double>? Scales(int numLayers, double decay)
    {
        Check(numLayers, decay);
        return decay == 1 ? null : name => Scale(name, numLayers, decay);
    }

    private static void Check(int numLayers, double decay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numLayers);
        if (!(decay > 0 && decay <= 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "the layer-wise learning-rate decay must be in (0, 1]");
    }

    private static int? LayerOf(string name) => Checkpoints.CheckpointKeys.EncoderLayerOf(name);

    private static bool IsEmbedding(string name) => Checkpoints.CheckpointKeys.SegmentStart(name, "embeddings.") >= 0;
}
