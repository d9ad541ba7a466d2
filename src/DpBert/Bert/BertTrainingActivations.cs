namespace DpBert.Bert;

/// <summary>
/// Everything a training forward pass saves for the backward pass, and the gradient scratch, grown to
/// the largest batch seen. Shapes for T = B*S tokens, H hidden, I intermediate, NH heads.
/// </summary>
public sealed class BertTrainingActivations
{
    private readonly BertConfig _config;
    private int _tokens, _batch, _seq;

    /// <summary>Sum of the three embeddings before LayerNorm (T, H).</summary>
    public float[] EmbeddingSum { get; private set; } = [];
    /// <summary>Embedding LayerNorm statistics (T each).</summary>
    public float[] EmbeddingMean { get; private set; } = [];
    /// <summary>Embedding LayerNorm statistics (T each). (<c>EmbeddingRstd</c>)</summary>
    public float[] EmbeddingRstd { get; private set; } = [];
    /// <summary>Embedding output = input of layer 0 (T, H).</summary>
    public float[] EmbeddingOutput { get; private set; } = [];
    /// <summary>Seed of the embedding dropout mask (the mask itself is recomputed in the backward pass).</summary>
    public ulong EmbeddingDropoutSeed { get; set; }
    /// <summary>Seed of the classifier dropout mask.</summary>
    public ulong PooledDropoutSeed { get; set; }
    /// <summary>Per-layer saved tensors.</summary>
    public BertLayerActivations[] Layers { get; }
    /// <summary>Additive attention mask (B, S).</summary>
    public float[] AdditiveMask { get; private set; } = [];
    /// <summary>Pooled output after tanh (B, H).</summary>
    public float[] Pooled { get; private set; } = [];
    /// <summary>Pooled output after the classifier's dropout (B, H), and its mask.</summary>
    public float[] PooledDropped { get; private set; } = [];
    /// <summary>Gradient of the pooled output (B, H).</summary>
    public float[] GradPooled { get; private set; } = [];
    /// <summary>The pooler's input rows (B, H) when it reads the mean of the tokens (<see cref="BertConfig.PoolerInput"/>).</summary>
    public float[] PoolerInput { get; private set; } = [];
    /// <summary>Gradient of <see cref="PoolerInput"/> (B, H).</summary>
    public float[] GradPoolerInput { get; private set; } = [];
    /// <summary>Gradient scratch (T, H), two buffers that alternate between layers.</summary>
    public float[] GradA { get; private set; } = [];
    /// <summary>Gradient scratch (T, H), two buffers that alternate between layers. (<c>GradB</c>)</summary>
    public float[] GradB { get; private set; } = [];

    /// <summary>Creates empty buffers for a model of this configuration.</summary>
    public BertTrainingActivations(BertConfig config)
    {
        _config = config;
        Layers = Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayerActivations()).ToArray();
    }

    /// <summary>The output of the last layer (T, H), after its gate if it was gated: the sequence output.</summary>
    public float[] SequenceOutput => Hidden(Layers.Length - 1);

    /// <summary>
    /// The hidden state after layer <paramref name="layer"/> (T, H): the embedding output for -1, else the layer's
    /// output, blended with its input by its gates when the layer was gated.
    /// </summary>
    public float[] Hidden(int layer) => layer < 0 ? EmbeddingOutput : Layers[layer].IsGated ? Layers[layer].GatedOutput : Layers[layer].Output;

    /// <summary>Makes every buffer hold a batch of <paramref name="batchSize"/> x <paramref name="seqLen"/>.</summary>
    public void EnsureCapacity(int batchSize, int seqLen)
    {
        int t = batchSize * seqLen, h = _config.HiddenSize;
        if (t > _tokens || batchSize > _batch || seqLen > _seq)
        {
            _tokens = Math.Max(t, _tokens);
            _batch = Math.Max(batchSize, _batch);
            _seq = Math.Max(seqLen, _seq);
            int tokens = Math.Max(_tokens, _batch * _seq);
            EmbeddingSum = new float[tokens * h];
            EmbeddingMean = new float[tokens];
            EmbeddingRstd = new float[tokens];
            EmbeddingOutput = new float[tokens * h];
            AdditiveMask = new float[tokens];
            Pooled = new float[_batch * h];
            PooledDropped = new float[_batch * h];
            GradPooled = new float[_batch * h];
            PoolerInput = new float[_batch * h];
            GradPoolerInput = new float[_batch * h];
            GradA = new float[tokens * h];
            GradB = new float[tokens * h];
            foreach (var layer in Layers) layer.Allocate(_config, tokens, _batch * _config.NumAttentionHeads * _seq * _seq);
        }
    }
}

/// <summary>What one encoder layer saves during a training forward pass (T tokens).</summary>
public sealed class BertLayerActivations
{
    /// <summary>Seed from which every dropout mask of the layer derives.</summary>
    public ulong DropoutSeed { get; set; }
    /// <summary>Queries, keys, values (T, H) each.</summary>
    public float[] Query { get; private set; } = [];
    /// <summary>Queries, keys, values (T, H) each. (<c>Key</c>)</summary>
    public float[] Key { get; private set; } = [];
    /// <summary>Queries, keys, values (T, H) each. (<c>Key</c>) (<c>Value</c>)</summary>
    public float[] Value { get; private set; } = [];
    /// <summary>Attention probabilities before dropout (B, NH, S, S).</summary>
    public float[] Probabilities { get; private set; } = [];
    /// <summary>Attention probabilities after dropout (B, NH, S, S).</summary>
    public float[] DroppedProbabilities { get; private set; } = [];
    /// <summary>Attention context (T, H).</summary>
    public float[] Context { get; private set; } = [];
    /// <summary>Residual sum before the first LayerNorm (T, H).</summary>
    public float[] Residual1 { get; private set; } = [];
    /// <summary>First LayerNorm statistics (T each).</summary>
    public float[] Mean1 { get; private set; } = [];
    /// <summary>First LayerNorm statistics (T each). (<c>Rstd1</c>)</summary>
    public float[] Rstd1 { get; private set; } = [];
    /// <summary>First LayerNorm output (T, H).</summary>
    public float[] Normed1 { get; private set; } = [];
    /// <summary>Intermediate dense output before GELU (T, I).</summary>
    public float[] PreGelu { get; private set; } = [];
    /// <summary>GELU output (T, I).</summary>
    public float[] Gelu { get; private set; } = [];
    /// <summary>Residual sum before the second LayerNorm (T, H).</summary>
    public float[] Residual2 { get; private set; } = [];
    /// <summary>Second LayerNorm statistics (T each).</summary>
    public float[] Mean2 { get; private set; } = [];
    /// <summary>Second LayerNorm statistics (T each). (<c>Rstd2</c>)</summary>
    public float[] Rstd2 { get; private set; } = [];
    /// <summary>Layer output (T, H).</summary>
    public float[] Output { get; private set; } = [];
    /// <summary>Gradient scratch for the residual sums and the first LayerNorm output (T, H) each.</summary>
    public float[] GradResidual { get; private set; } = [];
    /// <summary>Gradient scratch for the residual sums and the first LayerNorm output (T, H) each. (<c>GradNormed1</c>)</summary>
    public float[] GradNormed1 { get; private set; } = [];
    /// <summary>Gradient scratch (T, I).</summary>
    public float[] GradIntermediate { get; private set; } = [];
    /// <summary>Gradient scratch for queries, keys, values, context (T, H) each.</summary>
    public float[] GradQuery { get; private set; } = [];
    /// <summary>Gradient scratch for queries, keys, values, context (T, H) each. (<c>GradKey</c>)</summary>
    public float[] GradKey { get; private set; } = [];
    /// <summary>Gradient scratch for queries, keys, values, context (T, H) each. (<c>GradKey</c>) (<c>GradValue</c>)</summary>
    public float[] GradValue { get; private set; } = [];
    /// <summary>Gradient scratch for queries, keys, values, context (T, H) each. (<c>GradKey</c>) (<c>GradValue</c>) (<c>GradContext</c>)</summary>
    public float[] GradContext { get; private set; } = [];
    /// <summary>True when the layer ran gated in the last forward pass.</summary>
    public bool IsGated { get; private set; }
    /// <summary>The gate of each row (B) when <see cref="IsGated"/>.</summary>
    public float[] Gates { get; private set; } = [];
    /// <summary><c>z * Output + (1 - z) * input</c> per row (T, H) when <see cref="IsGated"/>.</summary>
    public float[] GatedOutput { get; private set; } = [];
    /// <summary>Gradient of the gates (B) in the backward pass of a gated layer.</summary>
    public float[] GradGates { get; private set; } = [];
    /// <summary>Gradient scratch (T, H) for the gated branch of the backward pass.</summary>
    public float[] GradGatedBranch { get; private set; } = [];

    /// <summary>
    /// Records the gates of the last forward pass (none: the layer ran ungated) and, for a gated layer, blends
    /// <see cref="Output"/> with <paramref name="input"/> row by row into <see cref="GatedOutput"/>.
    /// </summary>
    internal void ApplyGates(ReadOnlySpan<float> gates, float[] input, int batchSize, int rowSize)
    {
        IsGated = !gates.IsEmpty;
        if (!IsGated) return;
        if (gates.Length != batchSize) throw new ArgumentException($"{gates.Length} gates for {batchSize} rows", nameof(gates));
        if (Gates.Length < batchSize) { Gates = new float[batchSize]; GradGates = new float[batchSize]; }
        if (GatedOutput.Length < batchSize * rowSize) { GatedOutput = new float[batchSize * rowSize]; GradGatedBranch = new float[batchSize * rowSize]; }
        gates.CopyTo(Gates);
        for (int r = 0; r < batchSize; r++)
        {
            float z = gates[r];
            var y = GatedOutput.AsSpan(r * rowSize, rowSize);
            var run = Output.AsSpan(r * rowSize, rowSize);
            var skip = input.AsSpan(r * rowSize, rowSize);
            for (int i = 0; i < rowSize; i++) y[i] = z * run[i] + (1 - z) * skip[i];
        }
    }

    internal void Allocate(BertConfig c, int tokens, int attentionElements)
    {
        int th = tokens * c.HiddenSize, ti = tokens * c.IntermediateSize;
        Query = new float[th]; Key = new float[th]; Value = new float[th];
        Probabilities = new float[attentionElements];
        DroppedProbabilities = new float[attentionElements];
        Context = new float[th];
        Residual1 = new float[th]; Mean1 = new float[tokens]; Rstd1 = new float[tokens]; Normed1 = new float[th];
        PreGelu = new float[ti]; Gelu = new float[ti];
        Residual2 = new float[th]; Mean2 = new float[tokens]; Rstd2 = new float[tokens]; Output = new float[th];
        GradIntermediate = new float[ti];
        GradResidual = new float[th]; GradNormed1 = new float[th];
        GradQuery = new float[th]; GradKey = new float[th]; GradValue = new float[th]; GradContext = new float[th];
    }
}
