using DpBert.Bert;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Tests;

/// <summary>
/// A two-layer classifier over the golden tiny vocabulary and a synthetic sentiment task whose answer is one word,
/// for training tests that must learn something real in seconds.
/// </summary>
internal static class TinySentiment
{
    /// <summary>The golden tiny model's tokenizer.</summary>
    public static readonly BertTokenizer Tokenizer = BertTokenizer.FromFolder(GoldenFiles.TinyModelFolder);

    /// <summary>Hidden 32, two layers of two heads, two labels, the given dropout everywhere.</summary>
    public static BertConfig Config(float dropout) => new()
    {
        VocabSize = Tokenizer.Vocabulary.Count, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64,
        MaxPositionEmbeddings = 32, HiddenDropoutProb = dropout, AttentionProbsDropoutProb = dropout, NumLabelsValue = 2,
    };

    /// <summary>A classifier of <paramref name="config"/> initialised as Hugging Face does from <paramref name="seed"/>.</summary>
    public static BertForSequenceClassification NewModel(BertConfig config, int seed)
    {
        var model = BertForSequenceClassification.CreateEmpty(config);
        BertInitializer.Initialize(model.Parameters, config, seed);
        return model;
    }

    /// <summary>Sentences holding "good" or "bad" among filler words; <c>Truth</c> is 1 for "good".</summary>
    public static List<(LabeledExample Row, int Truth)> Sentences(int count, int seed)
    {
        string[] filler = ["the", "movie", "was", "a", "very", "story", "and", "it", "film", "really"];
        var rng = new Random(seed);
        var rows = new List<(LabeledExample, int)>();
        for (int i = 0; i < count; i++)
        {
            int truth = rng.Next(2);
            var words = Enumerable.Range(0, rng.Next(3, 9)).Select(_ => filler[rng.Next(filler.Length)]).ToList();
            words.Insert(rng.Next(words.Count + 1), truth == 1 ? "good" : "bad");
            rows.Add((new LabeledExample(string.Join(' ', words), null, truth), truth));
        }
        return rows;
    }
}
