using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using CoreConfig = DpBert.Bert.BertConfig;

namespace DpBert.TorchSharp.Bert;

/// <summary>
/// Hugging Face's <c>BertEmbeddings</c> as a TorchSharp module: <c>LayerNorm(word[ids] + position[0..S-1] + token_type[tt])</c>,
/// then dropout. The word embedding has <c>padding_idx = pad_token_id</c>, so its padding row never receives a gradient.
/// </summary>
public sealed class BertEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
    // Field names are the state-dict keys (bert.embeddings.*).
    private readonly Embedding word_embeddings, position_embeddings, token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    /// <summary>Creates the embeddings of <paramref name="config"/> (default TorchSharp initialisation; load weights to use it).</summary>
    public BertEmbeddings(CoreConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>Embeds <paramref name="inputIds"/> (B, S) with segments <paramref name="tokenTypeIds"/> (B, S): (B, S, H).</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        var positions = arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device);
        var sum = word_embeddings.forward(inputIds) + position_embeddings.forward(positions) + token_type_embeddings.forward(tokenTypeIds);
        return dropout.forward(LayerNorm.forward(sum)).MoveToOuterDisposeScope();
    }
}
