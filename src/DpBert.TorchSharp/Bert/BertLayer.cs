using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using CoreConfig = DpBert.Bert.BertConfig;

namespace DpBert.TorchSharp.Bert;

/// <summary>Hugging Face's <c>BertSelfOutput</c> and <c>BertOutput</c>: <c>LayerNorm(dropout(dense(x)) + residual)</c>.</summary>
public sealed class BertResidualOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    /// <summary>A dense layer from <paramref name="inputSize"/> to H with the residual LayerNorm.</summary>
    public BertResidualOutput(CoreConfig config, int inputSize) : base("BertOutput")
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary><c>LayerNorm(dropout(dense(x)) + residual)</c>, (B, S, H).</summary>
    public override Tensor forward(Tensor x, Tensor residual)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.forward(dropout.forward(dense.forward(x)) + residual).MoveToOuterDisposeScope();
    }
}

/// <summary>Hugging Face's <c>BertAttention</c>: <c>self</c> (the attention) and <c>output</c> (projection, residual, LayerNorm).</summary>
public sealed class BertAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertSelfAttention self;
    private readonly BertResidualOutput output;

    /// <summary>Creates the block of <paramref name="config"/>.</summary>
    public BertAttention(CoreConfig config) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertResidualOutput(config, config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>Attention output (B, S, H).</summary>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var context = self.forward(hidden, additiveMask);
        return output.forward(context, hidden);
    }
}

/// <summary>Hugging Face's <c>BertIntermediate</c>: <c>gelu(dense(x))</c>, exact erf GELU.</summary>
public sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;

    /// <summary>H to the intermediate size.</summary>
    public BertIntermediate(CoreConfig config) : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        RegisterComponents();
    }

    /// <summary>(B, S, I).</summary>
    public override Tensor forward(Tensor x)
    {
        using var pre = dense.forward(x);
        return nn.functional.gelu(pre);
    }
}

/// <summary>Hugging Face's <c>BertLayer</c> (post-LN): attention, then the feed-forward block.</summary>
public sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertResidualOutput output;

    /// <summary>Creates a layer of <paramref name="config"/>.</summary>
    public BertLayer(CoreConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertResidualOutput(config, config.IntermediateSize);
        RegisterComponents();
    }

    /// <summary>The layer's output (B, S, H) for <paramref name="hidden"/> (B, S, H) under the additive mask (B, 1, 1, S).</summary>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.forward(hidden, additiveMask);
        return output.forward(intermediate.forward(attended), attended).MoveToOuterDisposeScope();
    }
}
