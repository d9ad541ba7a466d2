namespace DpBert.Bert;

/// <summary>
/// Model shapes for training from scratch, named as Google's compact BERT family: <c>bert-tiny</c> (2 layers,
/// hidden 128), <c>bert-mini</c> (4, 256), <c>bert-small</c> (4, 512), <c>bert-medium</c> (8, 512) and <c>bert-base</c>
/// (12, 768). Heads are hidden/64, the feed-forward width 4x hidden, 512 positions. Any other member of that family is
/// named as Google names its checkpoints, <c>L{layers}-H{hidden}</c> (for example <c>L6-H256</c>), hidden a multiple of 64.
/// </summary>
public static class BertPresets
{
    private static readonly Dictionary<string, (int Layers, int Hidden)> Shapes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["bert-tiny"] = (2, 128), ["bert-mini"] = (4, 256), ["bert-small"] = (4, 512), ["bert-medium"] = (8, 512), ["bert-base"] = (12, 768),
    };

    /// <summary>The preset names.</summary>
    public static IReadOnlyCollection<string> Names => Shapes.Keys;

    /// <summary>True when <paramref name="name"/> is a preset.</summary>
    public static bool IsPreset(string name) => TryShape(name, out _);

    /// <summary>The configuration of a preset for a vocabulary of <paramref name="vocabSize"/> tokens.</summary>
    /// <exception cref="ArgumentException">Unknown preset; the message lists the valid ones.</exception>
    public static BertConfig Create(string name, int vocabSize, int numLabels = 2)
    {
        if (!TryShape(name, out var s))
            throw new ArgumentException($"unknown model preset \"{name}\"; use one of {string.Join(", ", Shapes.Keys)}, L{{layers}}-H{{hidden}} (e.g. L6-H256) or a model folder");
        return new BertConfig
        {
            VocabSize = vocabSize, HiddenSize = s.Hidden, NumHiddenLayers = s.Layers, NumAttentionHeads = Math.Max(1, s.Hidden / 64),
            IntermediateSize = 4 * s.Hidden, MaxPositionEmbeddings = 512, NumLabelsValue = numLabels,
        };
    }

    private static bool TryShape(string name, out (int Layers, int Hidden) shape)
    {
        if (Shapes.TryGetValue(name, out shape)) return true;
        var parts = name.Split('-');
        if (parts.Length == 2 && parts[0].Length > 1 && parts[1].Length > 1 && char.ToUpperInvariant(parts[0][0]) == 'L' && char.ToUpperInvariant(parts[1][0]) == 'H'
            && int.TryParse(parts[0].AsSpan(1), out var layers) && int.TryParse(parts[1].AsSpan(1), out var hidden)
            && layers is >= 1 and <= 48 && hidden >= 64 && hidden % 64 == 0 && hidden <= 4096)
        {
            shape = (layers, hidden);
            return true;
        }
        return false;
    }
}
