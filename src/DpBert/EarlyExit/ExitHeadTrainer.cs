using DpBert.Bert;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.EarlyExit;

/// <summary>
/// Trains exit heads on a fine-tuned backbone with <see cref="Trainer"/> and <see cref="ExitHeadsObjective"/>:
/// DeeBERT's second stage (heads only, backbone frozen) or PABEE's joint training (heads and backbone,
/// depth-weighted loss; the last head starts as the model's classifier). Writes an <see cref="EarlyExitFolder"/>.
/// </summary>
public sealed class ExitHeadTrainer
{
    private readonly BertForSequenceClassification _model;
    private readonly BertTokenizer _tokenizer;
    private readonly EarlyExitMethod _method;
    private readonly ExitTrainingOptions _options;

    /// <summary>Prepares a run (the backbone is trained in place for PABEE).</summary>
    public ExitHeadTrainer(BertForSequenceClassification model, BertTokenizer tokenizer, EarlyExitMethod method, ExitTrainingOptions options)
    {
        options.Validate();
        if (method == EarlyExitMethod.DeeBert && model.IsRegression)
            throw new ArgumentException("DeeBERT exits on the entropy of class probabilities; it does not apply to a regression task", nameof(method));
        _model = model;
        _tokenizer = tokenizer;
        _method = method;
        _options = options;
    }

    /// <summary>Optimizer steps a run over <paramref name="trainCount"/> examples takes.</summary>
    public int TotalSteps(int trainCount) => _options.ToLoopOptions().TotalSteps(trainCount);

    /// <summary>Trains and writes the folder; returns the classifier.</summary>
    public EarlyExitClassifier Train(EncodedDataset train, string outputDir, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (train.Count == 0) throw new ArgumentException("the training set is empty", nameof(train));
        var heads = new ExitHeads(_model, _method, _options.HeadInput);
        heads.Initialize(_options.Seed);
        int layers = _model.Config.NumHiddenLayers;
        if (_method == EarlyExitMethod.Pabee)
        {
            _model.Parameters.Span("classifier.weight").CopyTo(heads.Parameters.Span($"exits.{layers - 1}.classifier.weight"));
            _model.Parameters.Span("classifier.bias").CopyTo(heads.Parameters.Span($"exits.{layers - 1}.classifier.bias"));
            heads.Parameters.MarkChanged();
        }
        new Trainer(new ExitHeadsObjective(_model, _tokenizer, heads, _options), _options.ToLoopOptions()).Train(train, null, outputDir, progress, cancellation);
        return new EarlyExitClassifier(_model, heads);
    }
}
