using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// One post-LN transformer block, as Hugging Face's <c>BertLayer</c>:
/// <c>x1 = LN(x + Attention(x) Wo + bo)</c>, <c>y = LN(x1 + GELU(x1 Wi + bi) Wo2 + bo2)</c>.
/// The sub-blocks keep Hugging Face's names: <c>attention.self</c>, <c>attention.output</c>,
/// <c>intermediate</c>, <c>output</c>.
/// </summary>
public sealed class BertLayer
{
    private readonly ParameterSet _p;
    private readonly BertConfig _config;
    private readonly ParameterInfo _attentionLnWeight, _attentionLnBias, _outputLnWeight, _outputLnBias;

    /// <summary>Index of this layer in the encoder.</summary>
    public int Index { get; }
    /// <summary><c>attention.self</c>.</summary>
    public BertSelfAttention SelfAttention { get; }
    /// <summary><c>attention.output.dense</c>.</summary>
    public Linear AttentionOutput { get; }
    /// <summary><c>intermediate.dense</c>.</summary>
    public Linear Intermediate { get; }
    /// <summary><c>output.dense</c>.</summary>
    public Linear Output { get; }

    /// <summary>Binds to <c>{prefix}encoder.layer.{index}.*</c>.</summary>
    public BertLayer(ParameterSet parameters, BertConfig config, int index, string prefix = "bert.")
    {
        _p = parameters;
        _config = config;
        Index = index;
        string l = $"{prefix}encoder.layer.{index}.";
        SelfAttention = new BertSelfAttention(parameters, config, l);
        AttentionOutput = new Linear(parameters, l + "attention.output.dense");
        _attentionLnWeight = parameters.Info(l + "attention.output.LayerNorm.weight");
        _attentionLnBias = parameters.Info(l + "attention.output.LayerNorm.bias");
        Intermediate = new Linear(parameters, l + "intermediate.dense");
        Output = new Linear(parameters, l + "output.dense");
        _outputLnWeight = parameters.Info(l + "output.LayerNorm.weight");
        _outputLnBias = parameters.Info(l + "output.LayerNorm.bias");
    }

    /// <summary>Runs the block in place on <c>ws.Hidden</c> for the first <c>B*S</c> tokens (inference: no dropout).</summary>
    public void Forward(BertActivations ws, int batchSize, int seqLen)
    {
        int tokens = batchSize * seqLen, h = _config.HiddenSize;
        var x = ws.Hidden.AsSpan(0, tokens * h);
        SelfAttention.Forward(ws.Context, ws.Query, ws.Key, ws.Value, x, ws.AdditiveMask, batchSize, seqLen);
        // x = LN(x + context Wo^T + bo): the residual is accumulated into x itself.
        AttentionOutput.Forward(x, ws.Context, tokens, accumulate: true);
        RowKernels.LayerNorm(ws.Hidden, _p, _attentionLnWeight, _attentionLnBias, tokens, h, _config.LayerNormEps);
        var inter = ws.Intermediate.AsSpan(0, tokens * _config.IntermediateSize);
        Intermediate.Forward(inter, x, tokens);
        RowKernels.Gelu(ws.Intermediate, tokens * _config.IntermediateSize);
        // x = LN(x + GELU(...) Wo2^T + bo2)
        Output.Forward(x, inter, tokens, accumulate: true);
        RowKernels.LayerNorm(ws.Hidden, _p, _outputLnWeight, _outputLnBias, tokens, h, _config.LayerNormEps);
    }
}
