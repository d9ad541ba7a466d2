using DpBert.Bert;
using DpBert.Inference;
using DpBert.Methods;
using DpBert.Tokenization;

namespace DpBert.Evaluation;

/// <summary>
/// Runs texts through an adaptive classifier one at a time and returns the path each took
/// (<see cref="InputPath"/>: word pieces, prediction, confidence, layers run and, for DPBERT, the planner's
/// probability per layer), ready to be rendered or counted.
/// </summary>
public sealed class PathExplainer
{
    private readonly IAdaptiveClassifier _classifier;
    private readonly BertTokenizer _tokenizer;
    private readonly int? _maxLength;

    /// <summary>Explains <paramref name="classifier"/>; inputs are truncated to <paramref name="maxLength"/> tokens (default: the model's maximum).</summary>
    public PathExplainer(IAdaptiveClassifier classifier, BertTokenizer tokenizer, int? maxLength = null)
    {
        _classifier = classifier;
        _tokenizer = tokenizer;
        _maxLength = maxLength;
    }

    /// <summary>The path of each input at <paramref name="knob"/>; <paramref name="goldLabels"/> (optional) are shown beside the predictions.</summary>
    public IReadOnlyList<InputPath> Explain(IReadOnlyList<TextInput> inputs, double knob, IReadOnlyList<string?>? goldLabels = null)
    {
        var model = _classifier.Model;
        _classifier.Method.ValidateKnob(knob, model.Config);
        var paths = new List<InputPath>(inputs.Count);
        for (int i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var encoding = _tokenizer.Encode(input.Text, input.TextPair, _maxLength ?? model.Config.MaxPositionEmbeddings);
            var batch = new BertBatch(encoding.InputIds, encoding.TokenTypeIds, encoding.AttentionMask, 1, encoding.Length);
            var clock = System.Diagnostics.Stopwatch.StartNew();   // batch-1 wall clock, encoded input to logits (and plan)
            var output = _classifier.Classify(batch, knob);
            var latency = clock.Elapsed;
            var probabilities = output.LayerProbabilities?[0] ?? new double?[model.Config.NumHiddenLayers];
            string label;
            double confidence;
            if (model.IsRegression) (label, confidence) = (output.Logits[0].ToString("F3", System.Globalization.CultureInfo.InvariantCulture), 1.0);
            else
            {
                var probs = model.Probabilities(output.Logits);
                int best = Array.IndexOf(probs, probs.Max());
                (label, confidence) = (model.Config.LabelName(best), probs[best]);
            }
            string text = input.TextPair is null ? input.Text : $"{input.Text} ||| {input.TextPair}";
            paths.Add(new InputPath(text, encoding.Tokens, label, confidence, output.Plans[0], probabilities, _classifier.Method.Name, goldLabels?[i], latency));
        }
        return paths;
    }
}
