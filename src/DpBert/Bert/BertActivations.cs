namespace DpBert.Bert;

/// <summary>
/// Reusable activation buffers for inference, grown to the largest batch seen so repeated calls
/// allocate nothing. Shapes are given for T = B*S tokens.
/// </summary>
public sealed class BertActivations
{
    private readonly BertConfig _config;

    /// <summary>Hidden states (T, H), updated in place layer by layer.</summary>
    public float[] Hidden { get; private set; } = [];
    /// <summary>Queries (T, H).</summary>
    public float[] Query { get; private set; } = [];
    /// <summary>Keys (T, H).</summary>
    public float[] Key { get; private set; } = [];
    /// <summary>Values (T, H).</summary>
    public float[] Value { get; private set; } = [];
    /// <summary>Attention context (T, H).</summary>
    public float[] Context { get; private set; } = [];
    /// <summary>Feed-forward activations (T, I).</summary>
    public float[] Intermediate { get; private set; } = [];
    /// <summary>Additive attention mask (B, S): 0 or <see cref="float.MinValue"/>.</summary>
    public float[] AdditiveMask { get; private set; } = [];
    /// <summary>Pooled output (B, H).</summary>
    public float[] Pooled { get; private set; } = [];

    /// <summary>Creates empty buffers for a model of this configuration.</summary>
    public BertActivations(BertConfig config) => _config = config;

    /// <summary>Makes sure every buffer holds a batch of <paramref name="batchSize"/> x <paramref name="seqLen"/>.</summary>
    public void EnsureCapacity(int batchSize, int seqLen)
    {
        int t = batchSize * seqLen, h = _config.HiddenSize;
        if (Hidden.Length < t * h)
        {
            Hidden = new float[t * h];
            Query = new float[t * h];
            Key = new float[t * h];
            Value = new float[t * h];
            Context = new float[t * h];
            Intermediate = new float[t * _config.IntermediateSize];
            AdditiveMask = new float[t];
        }
        if (Pooled.Length < batchSize * h) Pooled = new float[batchSize * h];
    }
}
