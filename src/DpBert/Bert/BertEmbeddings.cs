using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// Hugging Face's <c>BertEmbeddings</c>: <c>LayerNorm(word[ids] + position[0..S-1] + token_type[tt])</c>
/// (dropout follows in training).
/// </summary>
public sealed class BertEmbeddings
{
    private readonly ParameterSet _p;
    private readonly BertConfig _config;
    private readonly ParameterInfo _word, _position, _tokenType, _lnWeight, _lnBias;

    /// <summary>Binds to the <c>{prefix}embeddings.*</c> parameters.</summary>
    public BertEmbeddings(ParameterSet parameters, BertConfig config, string prefix = "bert.")
    {
        _p = parameters;
        _config = config;
        string e = prefix + "embeddings.";
        _word = parameters.Info(e + "word_embeddings.weight");
        _position = parameters.Info(e + "position_embeddings.weight");
        _tokenType = parameters.Info(e + "token_type_embeddings.weight");
        _lnWeight = parameters.Info(e + "LayerNorm.weight");
        _lnBias = parameters.Info(e + "LayerNorm.bias");
    }

    /// <summary>Writes the embedding output for every token of <paramref name="batch"/>.</summary>
    /// <param name="output">(B*S, H).</param>
    /// <param name="batch">Validated input ids and segments.</param>
    public void Forward(Span<float> output, BertBatch batch)
    {
        int h = _config.HiddenSize, s = batch.SequenceLength;
        var word = _p.Span(_word);
        var position = _p.Span(_position);
        var tokenType = _p.Span(_tokenType);
        for (int t = 0; t < batch.TokenCount; t++)
        {
            var row = output.Slice(t * h, h);
            word.Slice(batch.InputIds[t] * h, h).CopyTo(row);
            Elementwise.AddInPlace(row, position.Slice(t % s * h, h));
            Elementwise.AddInPlace(row, tokenType.Slice(batch.TokenTypeIds[t] * h, h));
        }
        LayerNorm.Forward(output, default, default, output, _p.Span(_lnWeight), _p.Span(_lnBias), batch.TokenCount, h, _config.LayerNormEps);
    }
}
