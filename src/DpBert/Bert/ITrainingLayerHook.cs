namespace DpBert.Bert;

/// <summary>
/// Acts between the layers of a training pass (<see cref="BertModel.ForwardTraining"/> and
/// <see cref="BertModel.Backward"/>): it may gate a layer per row, <c>h = z * Layer(h) + (1 - z) * h</c> with
/// <c>z</c> in [0, 1] (DPBERT's planner gates, random layer drop), and on the way back it adds the gradients of
/// whatever read a hidden state (the planner reading [CLS], an exit head after every layer).
/// </summary>
public interface ITrainingLayerHook
{
    /// <summary>
    /// Before layer <paramref name="layer"/> runs: its gate for each row (B values), or an empty span when every
    /// row runs it ungated. Its input is <c>acts.Hidden(layer - 1)</c>.
    /// </summary>
    ReadOnlySpan<float> Gates(int layer, BertTrainingActivations acts, BertBatch batch);

    /// <summary>
    /// After layer <paramref name="layer"/> has been back-propagated: <paramref name="dGates"/> (B values, empty
    /// when the layer was not gated) is the gradient of its gates, and <paramref name="dInput"/> (T, H) the
    /// gradient of its input, to which the hook adds the contributions of what read that hidden state.
    /// </summary>
    void AfterBackward(int layer, ReadOnlySpan<float> dGates, Span<float> dInput, BertTrainingActivations acts, BertBatch batch);
}
