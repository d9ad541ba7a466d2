namespace DpBert.Bert;

/// <summary>
/// Hugging Face's BERT initialisation: every Linear and embedding weight drawn from
/// <c>N(0, initializer_range)</c>, biases zero, LayerNorm gain one and shift zero, the padding row of
/// the word embedding zero. Deterministic for a given seed.
/// </summary>
public static class BertInitializer
{
    /// <summary>Initialises every parameter in <paramref name="parameters"/> by its key.</summary>
    public static void Initialize(ParameterSet parameters, BertConfig config, int seed)
    {
        var rng = new Random(seed);
        foreach (var p in parameters.Parameters) Initialize(parameters, p, config, rng);
        parameters.MarkChanged();
    }

    /// <summary>Initialises the parameters whose keys satisfy <paramref name="select"/> (e.g. a new classifier head).</summary>
    public static void Initialize(ParameterSet parameters, BertConfig config, int seed, Func<string, bool> select)
    {
        var rng = new Random(seed);
        foreach (var p in parameters.Parameters.Where(p => select(p.Name))) Initialize(parameters, p, config, rng);
        parameters.MarkChanged();
    }

    private static void Initialize(ParameterSet parameters, ParameterInfo p, BertConfig config, Random rng)
    {
        var values = parameters.Span(p);
        if (p.Name.EndsWith("LayerNorm.weight", StringComparison.Ordinal)) values.Fill(1f);
        else if (p.Name.EndsWith(".bias", StringComparison.Ordinal)) values.Clear();
        else
        {
            FillNormal(values, config.InitializerRange, rng);
            if (p.Name.EndsWith("word_embeddings.weight", StringComparison.Ordinal))
                values.Slice(config.PadTokenId * config.HiddenSize, config.HiddenSize).Clear();
        }
    }

    /// <summary>Fills <paramref name="values"/> with samples of <c>N(0, std^2)</c> drawn from <paramref name="rng"/>.</summary>
    public static void FillNormal(Span<float> values, double std, Random rng)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (float)(Normal(rng) * std);
    }

    /// <summary>A standard normal sample (Box-Muller).</summary>
    private static double Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
