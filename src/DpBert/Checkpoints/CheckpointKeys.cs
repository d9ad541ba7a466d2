namespace DpBert.Checkpoints;

/// <summary>
/// Maps a key found in a checkpoint to the model's Hugging Face parameter key, accepting the
/// spellings real checkpoints use: legacy <c>LayerNorm.gamma</c>/<c>beta</c> (Google-converted
/// checkpoints) and a bare <c>BertModel</c> saved without the <c>bert.</c> base-model prefix (or a
/// headed model loaded into a bare encoder).
/// </summary>
internal static class CheckpointKeys
{
    private const string BasePrefix = "bert.";
    private static readonly string[] BaseModelRoots = ["embeddings.", "encoder.", "pooler."];

    /// <summary>The parameter <paramref name="fileKey"/> loads into, or null when the model has none.</summary>
    /// <param name="fileKey">A key as the checkpoint spells it.</param>
    /// <param name="isParameter">Whether the model has a parameter of that key.</param>
    public static string? FindParameter(string fileKey, Func<string, bool> isParameter)
    {
        string modern = WithModernLayerNormNames(fileKey);
        return FindSpelling(fileKey, isParameter) ?? (modern == fileKey ? null : FindSpelling(modern, isParameter));
    }

    private static string? FindSpelling(string key, Func<string, bool> isParameter)
    {
        if (isParameter(key)) return key;
        string? other = WithOtherBasePrefix(key);
        return other is not null && isParameter(other) ? other : null;
    }

    /// <summary><c>x.LayerNorm.gamma</c> to <c>x.LayerNorm.weight</c> and <c>x.LayerNorm.beta</c> to <c>x.LayerNorm.bias</c>.</summary>
    private static string WithModernLayerNormNames(string key)
    {
        if (key.EndsWith(".LayerNorm.gamma", StringComparison.Ordinal)) return key[..^"gamma".Length] + "weight";
        if (key.EndsWith(".LayerNorm.beta", StringComparison.Ordinal)) return key[..^"beta".Length] + "bias";
        return key;
    }

    /// <summary>Adds <c>bert.</c> to a bare base-model key, or removes it from a prefixed one.</summary>
    private static string? WithOtherBasePrefix(string key)
    {
        if (key.StartsWith(BasePrefix, StringComparison.Ordinal)) return key[BasePrefix.Length..];
        foreach (string root in BaseModelRoots)
            if (key.StartsWith(root, StringComparison.Ordinal)) return BasePrefix + key;
        return null;
    }

    private const string LayerKey = "encoder.layer.";

    /// <summary>The encoder layer a key belongs to (<c>bert.encoder.layer.3.output.dense.weight</c>: 3), or null for any other key.</summary>
    public static int? EncoderLayerOf(string key)
    {
        int at = SegmentStart(key, LayerKey);
        if (at < 0) return null;
        int start = at + LayerKey.Length, end = key.IndexOf('.', start);
        return end > start && int.TryParse(key.AsSpan(start, end - start), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int layer) ? layer : null;
    }

    /// <summary>Whether <paramref name="key"/> belongs to encoder layer <paramref name="layer"/> or a later one (0-based).</summary>
    public static bool IsEncoderLayerAtOrAfter(string key, int layer) => EncoderLayerOf(key) >= layer;

    /// <summary>Where the dotted path segment <paramref name="segment"/> starts in <paramref name="key"/>: at the start or right after a '.', so "xembeddings." does not match; -1 when nowhere.</summary>
    public static int SegmentStart(string key, string segment)
    {
        for (int at = key.IndexOf(segment, StringComparison.Ordinal); at >= 0; at = key.IndexOf(segment, at + 1, StringComparison.Ordinal))
            if (at == 0 || key[at - 1] == '.') return at;
        return -1;
    }
}
