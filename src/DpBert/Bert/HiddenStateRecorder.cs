namespace DpBert.Bert;

/// <summary>
/// A policy that runs every layer and keeps a copy of the hidden states at every boundary: the embedding output,
/// then each layer's output, (B*S, H) each, as Hugging Face's <c>output_hidden_states</c>.
/// </summary>
public sealed class HiddenStateRecorder : IEncoderPolicy
{
    /// <summary>The recorded states, L + 1 of them after a pass.</summary>
    public List<float[]> States { get; } = [];

    /// <inheritdoc/>
    public void AtBoundary(EncoderState state) => States.Add(state.Hidden.ToArray());
}
