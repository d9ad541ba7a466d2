namespace DpBert.Bert;

/// <summary>
/// What maps a sequence classifier's pooled output (B, H) to its logits (B, num_labels) in training: by default the
/// model's own <c>classifier</c>; DPBERT's <see cref="Planning.DepthHeads"/> give each row the head of its plan's length.
/// </summary>
public interface IClassifierHead
{
    /// <summary>Logits (B, num_labels) of <paramref name="pooled"/> (B, H).</summary>
    void Forward(Span<float> logits, ReadOnlySpan<float> pooled, int batchSize);

    /// <summary>Accumulates the head's parameter gradients and adds the gradient of the pooled output to <paramref name="dPooled"/> (B, H).</summary>
    void Backward(Span<float> dPooled, ReadOnlySpan<float> dLogits, ReadOnlySpan<float> pooled, int batchSize);
}
