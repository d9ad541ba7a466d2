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
    /// <summary>Queries, keys and values side by side (T, 3H): one GEMM computes all three.</summary>
    public float[] QueryKeyValue { get; private set; } = [];
    /// <summary>Attention context (T, H).</summary>
    public float[] Context { get; private set; } = [];
    /// <summary>Feed-forward activations (T, I).</summary>
    public float[] Intermediate { get; private set; } = [];
    /// <summary>Additive attention mask (B, S): 0 or <see cref="float.MinValue"/>.</summary>
    public float[] AdditiveMask { get; private set; } = [];
    /// <summary>Pooled output (B, H).</summary>
    public float[] Pooled { get; private set; } = [];
    /// <summary>The pooler's input rows (B, H) when it reads the mean of the tokens (<see cref="BertConfig.PoolerInput"/>).</summary>
    public float[] PoolerInput { get; private set; } = [];

    /// <summary>Creates empty buffers for a model of this configuration.</summary>
    public BertActivations(BertConfig config) => _config = config;

    /// <summary>Makes sure every buffer holds a batch of <paramref name="batchSize"/> x <paramref name="seqLen"/>.</summary>
    public void EnsureCapacity(int batchSize, int seqLen)
    {
        int t = batchSize * seqLen, h = _config.HiddenSize;
        if (Hidden.Length < t * h)
        {
            Hidden = new float[t * h];
            QueryKeyValue = new float[t * 3 * h];
            Context = new float[t * h];
            Intermediate = new float[t * _config.IntermediateSize];
            AdditiveMask = new float[t];
        }
        if (Pooled.Length < batchSize * h) { Pooled = new float[batchSize * h]; PoolerInput = new float[batchSize * h]; }
    }
}
