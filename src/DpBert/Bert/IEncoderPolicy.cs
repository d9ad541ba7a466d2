namespace DpBert.Bert;

/// <summary>
/// Decides, between the layers of one inference pass (<see cref="BertModel.Forward"/>), which rows run which of
/// the remaining layers. This is where DPBERT's planner reads [CLS] (or the tokens' mean) and plans, where an exit head
/// stops a row, and where static depth cuts the encoder short; without a policy every row runs every layer.
/// </summary>
public interface IEncoderPolicy
{
    /// <summary>
    /// Called at every boundary: before layer <see cref="EncoderState.CurrentLayer"/> (0: right after the
    /// embeddings) and once more after the last layer (<c>CurrentLayer == LayerCount</c>). The hidden states in
    /// <paramref name="state"/> are those after the layers run so far.
    /// </summary>
    void AtBoundary(EncoderState state);
}
