using DpBert.Bert;
using DpBert.Inference;
using DpBert.Planning;
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
    private readonly BertForSequenceClassification _model;
    private readonly BertTokenizer _tokenizer;
    private readonly int? _maxLength;

    /// <summary>Explains <paramref name="classifier"/>, whose backbone is <paramref name="model"/> (for label names and probabilities).</summary>
    public PathExplainer(IAdaptiveClassifier classifier, BertForSequenceClassification model, BertTokenizer tokenizer, int? maxLength = null)
    {
        _classifier = classifier;
        _model = model;
        _tokenizer = tokenizer;
        _maxLength = maxLength;
    }

    /// <summary>The path of each input at <paramref name="knob"/>; <paramref name="goldLabels"/> (optional) are shown beside the predictions.</summary>
    public IReadOnlyList<InputPath> Explain(IReadOnlyList<TextInput> inputs, double knob, IReadOnlyList<string?>? goldLabels = null)
    {
        _classifier.ValidateKnob(knob);
        var paths = new List<InputPath>(inputs.Count);
        for (int i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var encoding = _tokenizer.Encode(input.Text, input.TextPair, _maxLength ?? _model.Config.MaxPositionEmbeddings);
            var batch = new BertBatch(encoding.InputIds, encoding.TokenTypeIds, encoding.AttentionMask, 1, encoding.Length);
            float[] logits;
            LayerPlan plan;
            var probabilities = new double?[_classifier.LayerCount];
            var clock = System.Diagnostics.Stopwatch.StartNew();   // batch-1 wall clock, encoded input to logits (and plan)
            if (_classifier is DpBertClassifier dpbert)
            {
                var p = dpbert.Predict(batch, knob)[0];
                (logits, plan) = (p.Logits, p.Plan);
                int k = dpbert.Planner.AlwaysRunLayers;
                for (int l = 0; l < p.LayerProbabilities.Length; l++) probabilities[k + l] = p.LayerProbabilities[l];
            }
            else
            {
                var output = _classifier.Classify(batch, knob);
                (logits, plan) = (output.Logits, output.Plans[0]);
            }
            var latency = clock.Elapsed;
            string label;
            double confidence;
            if (_model.IsRegression) (label, confidence) = (logits[0].ToString("F3", System.Globalization.CultureInfo.InvariantCulture), 1.0);
            else
            {
                var probs = _model.Probabilities(logits);
                int best = Array.IndexOf(probs, probs.Max());
                (label, confidence) = (_model.Config.LabelName(best), probs[best]);
            }
            string text = input.TextPair is null ? input.Text : $"{input.Text} ||| {input.TextPair}";
            paths.Add(new InputPath(text, encoding.Tokens, label, confidence, plan, probabilities, _classifier.Method, goldLabels?[i], latency));
        }
        return paths;
    }
}
