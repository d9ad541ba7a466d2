using DpBert.Bert;

namespace DpBert.EarlyExit;

/// <summary>
/// The exit heads of an early-exit model, in their own parameter block. DeeBERT: <c>exits.{l}.pooler.dense.*</c>
/// and <c>exits.{l}.classifier.*</c> for layers 0..L-2 (the model's own head is the last exit). PABEE:
/// <c>exits.{l}.classifier.*</c> for every layer, on the backbone's pooler.
/// </summary>
public sealed class ExitHeads
{
    private readonly BertForSequenceClassification _model;

    /// <summary>Which baseline the heads belong to.</summary>
    public EarlyExitMethod Method { get; }
    /// <summary>The heads' parameters.</summary>
    public ParameterSet Parameters { get; }
    /// <summary>Number of exits (one per layer; the last DeeBERT exit is the model's own head).</summary>
    public int ExitCount => _model.Config.NumHiddenLayers;

    private readonly BertPooler?[] _poolers;
    private readonly Linear?[] _classifiers;

    /// <summary>What the heads read from the hidden states after their layer: [CLS] (default) or the mean of the real tokens.
    /// DeeBERT's last exit is the model's own head and reads what stage one trained it on (<see cref="BertConfig.PoolerInput"/>).</summary>
    public TokenPooling Input { get; }

    /// <summary>Zero-initialised heads for <paramref name="model"/> reading <paramref name="input"/>.</summary>
    public ExitHeads(BertForSequenceClassification model, EarlyExitMethod method, TokenPooling input = TokenPooling.Cls)
    {
        _model = model;
        Method = method;
        Input = input;
        Parameters = new ParameterSet(Layout(model.Config, method));
        int layers = model.Config.NumHiddenLayers;
        _poolers = new BertPooler?[layers];
        _classifiers = new Linear?[layers];
        for (int l = 0; l < layers; l++)
        {
            if (method == EarlyExitMethod.DeeBert && l == layers - 1) continue;
            if (method == EarlyExitMethod.DeeBert) _poolers[l] = new BertPooler(Parameters, model.Config, $"exits.{l}.");
            _classifiers[l] = new Linear(Parameters, $"exits.{l}.classifier");
        }
    }

    /// <summary>The heads' keys and shapes.</summary>
    public static IEnumerable<(string Name, int[] Shape)> Layout(BertConfig config, EarlyExitMethod method)
    {
        int h = config.HiddenSize, n = config.NumLabels, layers = config.NumHiddenLayers;
        for (int l = 0; l < layers; l++)
        {
            if (method == EarlyExitMethod.DeeBert)
            {
                if (l == layers - 1) break;
                yield return ($"exits.{l}.pooler.dense.weight", [h, h]);
                yield return ($"exits.{l}.pooler.dense.bias", [h]);
            }
            yield return ($"exits.{l}.classifier.weight", [n, h]);
            yield return ($"exits.{l}.classifier.bias", [n]);
        }
    }

    /// <summary>The pooler of exit <paramref name="layer"/> (its own for DeeBERT, the backbone's otherwise).</summary>
    public BertPooler Pooler(int layer) => _poolers[layer] ?? _model.Bert.Pooler!;

    /// <summary>The classifier of exit <paramref name="layer"/>.</summary>
    public Linear Classifier(int layer) => _classifiers[layer] ?? _model.Classifier;

    /// <summary>True when exit <paramref name="layer"/> has parameters in <see cref="Parameters"/> (not the model's own head).</summary>
    public bool IsOwnHead(int layer) => _classifiers[layer] is not null;

    /// <summary>Initialises the heads as Hugging Face initialises linear layers (normal(0, initializer_range), zero bias).</summary>
    public void Initialize(int seed)
    {
        var rng = new Random(seed);
        foreach (var p in Parameters.Parameters)
        {
            var v = Parameters.Span(p);
            if (p.Name.EndsWith(".bias", StringComparison.Ordinal)) v.Clear();
            else BertInitializer.FillNormal(v, _model.Config.InitializerRange, rng);
        }
        Parameters.MarkChanged();
    }

    /// <summary>What exit <paramref name="layer"/> reads: <see cref="Input"/>, but what the model's pooler reads for DeeBERT's last exit (the model's own head).</summary>
    public TokenPooling InputOf(int layer) => InputOf(Method, layer, ExitCount, Input, _model.Config.PoolerInput);

    /// <summary>
    /// What exit <paramref name="layer"/> of <paramref name="layers"/> reads when the heads read <paramref name="headInput"/> and the
    /// model's pooler <paramref name="poolerInput"/>: the heads' input, but the pooler's for DeeBERT's last exit (the model's own head).
    /// </summary>
    public static TokenPooling InputOf(EarlyExitMethod method, int layer, int layers, TokenPooling headInput, TokenPooling poolerInput) =>
        method == EarlyExitMethod.DeeBert && layer == layers - 1 ? poolerInput : headInput;

    /// <summary>
    /// Every row's input to exit <paramref name="layer"/> (B, H) from the hidden states after that layer (B*S, H): the [CLS]
    /// rows or the mean of the real tokens (<paramref name="attentionMask"/>, B*S).
    /// </summary>
    public void Summarize(Span<float> rows, ReadOnlySpan<float> hidden, ReadOnlySpan<int> attentionMask, int layer, int batchSize, int seqLen) =>
        TokenPoolings.Summarize(InputOf(layer), rows, hidden, attentionMask, batchSize, seqLen, _model.Config.HiddenSize);

    /// <summary>
    /// Logits (B, num_labels) of exit <paramref name="layer"/>, inference (no dropout), from the [CLS] row of each block of
    /// <paramref name="seqLen"/> rows of <paramref name="hidden"/>: the hidden states (B*S, H) of heads that read [CLS], or
    /// with <paramref name="seqLen"/> 1 the rows <see cref="Summarize"/> gave.
    /// </summary>
    public void Logits(Span<float> logits, Span<float> pooled, ReadOnlySpan<float> hidden, int layer, int batchSize, int seqLen)
    {
        Pooler(layer).Forward(pooled, hidden, batchSize, seqLen);
        Classifier(layer).Forward(logits, pooled, batchSize);
    }
}
