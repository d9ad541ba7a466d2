using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using CoreConfig = DpBert.Bert.BertConfig;

namespace DpBert.TorchSharp.Bert;

/// <summary>Hugging Face's <c>BertEncoder</c>: the list <c>layer</c> of <see cref="BertLayer"/>s.</summary>
public sealed class BertEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<BertLayer> layer;
    private readonly BertLayer[] _layers;

    /// <summary>L layers of <paramref name="config"/>.</summary>
    public BertEncoder(CoreConfig config) : base(nameof(BertEncoder))
    {
        _layers = Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray();
        layer = nn.ModuleList(_layers);
        RegisterComponents();
    }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<BertLayer> Layers => _layers;

    /// <summary>Every layer in turn: (B, S, H).</summary>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        using var scope = NewDisposeScope();
        foreach (var l in layer) hidden = l.forward(hidden, additiveMask);
        return hidden.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Hugging Face's <c>BertPooler</c>, <c>tanh(dense(h[:, 0]))</c>, or with <see cref="CoreConfig.PoolerInput"/> mean
/// <c>tanh(dense(mean of the real tokens' h))</c> (<see cref="TokenSummary"/>).
/// </summary>
public sealed class BertPooler : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly DpBert.Bert.TokenPooling _input;

    /// <summary>H to H, reading what <paramref name="config"/> says.</summary>
    public BertPooler(CoreConfig config) : base(nameof(BertPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        _input = config.PoolerInput;
        RegisterComponents();
    }

    /// <summary>Pooled (B, H) from the last hidden states (B, S, H) and the attention mask (B, S) (read for the mean only).</summary>
    public override Tensor forward(Tensor hidden, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        return tanh(dense.forward(TokenSummary.Of(hidden, attentionMask, _input))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Hugging Face's <c>BertModel</c>: <c>embeddings</c>, <c>encoder</c>, <c>pooler</c>. The parts are exposed so a caller
/// can drive the layers one at a time (planned execution, gated training).
/// </summary>
public sealed class BertModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler pooler;

    /// <summary>Creates the encoder of <paramref name="config"/>.</summary>
    public BertModel(CoreConfig config) : base(nameof(BertModel))
    {
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = new BertPooler(config);
        RegisterComponents();
    }

    /// <summary>The embeddings.</summary>
    public BertEmbeddings Embeddings => embeddings;
    /// <summary>The transformer layers.</summary>
    public IReadOnlyList<BertLayer> Layers => encoder.Layers;
    /// <summary>The pooler.</summary>
    public BertPooler Pooler => pooler;

    /// <summary>
    /// The additive attention mask (B, 1, 1, S) in <paramref name="dtype"/>: 0 for real tokens, the dtype's most negative
    /// value for padding (as Hugging Face: <c>(1 - mask) * finfo.min</c>).
    /// </summary>
    public static Tensor AdditiveMask(Tensor attentionMask, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var mask = (1 - attentionMask.to(dtype)) * finfo(dtype).min;
        return mask.unsqueeze(1).unsqueeze(2).MoveToOuterDisposeScope();
    }

    /// <summary>The last hidden states (B, S, H) of the full-depth encoder.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = embeddings.forward(inputIds, tokenTypeIds);
        return encoder.forward(hidden, AdditiveMask(attentionMask, hidden.dtype)).MoveToOuterDisposeScope();
    }
}
