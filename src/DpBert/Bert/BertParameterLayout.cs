namespace DpBert.Bert;

/// <summary>
/// The Hugging Face parameter keys and shapes of BERT models, in the order they are stored in the
/// flat block. Linear weights are <c>[out, in]</c>.
/// </summary>
public static class BertParameterLayout
{
    /// <summary>Keys of <c>BertModel</c> (with pooler), each prefixed with <paramref name="prefix"/> (e.g. <c>bert.</c>).</summary>
    public static IEnumerable<(string Name, int[] Shape)> Encoder(BertConfig c, string prefix = "bert.", bool withPooler = true)
    {
        int h = c.HiddenSize, i = c.IntermediateSize;
        string e = prefix + "embeddings.";
        yield return (e + "word_embeddings.weight", [c.VocabSize, h]);
        yield return (e + "position_embeddings.weight", [c.MaxPositionEmbeddings, h]);
        yield return (e + "token_type_embeddings.weight", [c.TypeVocabSize, h]);
        yield return (e + "LayerNorm.weight", [h]);
        yield return (e + "LayerNorm.bias", [h]);
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            string p = $"{prefix}encoder.layer.{l}.";
            foreach (var qkv in new[] { "query", "key", "value" })
            {
                yield return (p + $"attention.self.{qkv}.weight", [h, h]);
                yield return (p + $"attention.self.{qkv}.bias", [h]);
            }
            yield return (p + "attention.output.dense.weight", [h, h]);
            yield return (p + "attention.output.dense.bias", [h]);
            yield return (p + "attention.output.LayerNorm.weight", [h]);
            yield return (p + "attention.output.LayerNorm.bias", [h]);
            yield return (p + "intermediate.dense.weight", [i, h]);
            yield return (p + "intermediate.dense.bias", [i]);
            yield return (p + "output.dense.weight", [h, i]);
            yield return (p + "output.dense.bias", [h]);
            yield return (p + "output.LayerNorm.weight", [h]);
            yield return (p + "output.LayerNorm.bias", [h]);
        }
        if (!withPooler) yield break;
        yield return (prefix + "pooler.dense.weight", [h, h]);
        yield return (prefix + "pooler.dense.bias", [h]);
    }

    /// <summary>
    /// Keys of <c>BertForMaskedLM</c>: the encoder without pooler under <c>bert.</c> and the prediction head
    /// <c>cls.predictions.*</c>. The decoder weight is tied to the word embeddings (not a parameter of its own);
    /// its bias is <c>cls.predictions.bias</c>.
    /// </summary>
    public static IEnumerable<(string Name, int[] Shape)> MaskedLanguageModel(BertConfig c)
    {
        foreach (var p in Encoder(c, withPooler: false)) yield return p;
        int h = c.HiddenSize;
        yield return ("cls.predictions.transform.dense.weight", [h, h]);
        yield return ("cls.predictions.transform.dense.bias", [h]);
        yield return ("cls.predictions.transform.LayerNorm.weight", [h]);
        yield return ("cls.predictions.transform.LayerNorm.bias", [h]);
        yield return ("cls.predictions.bias", [c.VocabSize]);
    }

    /// <summary>Keys of <c>BertForSequenceClassification</c>: the encoder under <c>bert.</c> plus <c>classifier.*</c>.</summary>
    public static IEnumerable<(string Name, int[] Shape)> SequenceClassification(BertConfig c)
    {
        foreach (var p in Encoder(c)) yield return p;
        yield return ("classifier.weight", [c.NumLabels, c.HiddenSize]);
        yield return ("classifier.bias", [c.NumLabels]);
    }
}
