namespace DpBert.Training;

/// <summary>
/// Which parameters receive weight decay, as the Hugging Face <c>Trainer</c> groups them for BERT:
/// biases and LayerNorm weights are excluded, every other weight (embeddings included) is decayed.
/// </summary>
public static class WeightDecayGrouping
{
    /// <summary>
    /// True when <paramref name="name"/> is decayed: false for keys ending in <c>.bias</c>,
    /// <c>LayerNorm.weight</c>, or the legacy TensorFlow-era <c>LayerNorm.gamma</c> / <c>LayerNorm.beta</c>.
    /// </summary>
    public static bool IsDecayed(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return !(name.EndsWith(".bias", StringComparison.Ordinal)
            || name.EndsWith("LayerNorm.weight", StringComparison.Ordinal)
            || name.EndsWith("LayerNorm.gamma", StringComparison.Ordinal)
            || name.EndsWith("LayerNorm.beta", StringComparison.Ordinal));
    }
}
