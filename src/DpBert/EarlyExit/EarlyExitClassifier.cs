using DpBert.Bert;
using DpBert.Evaluation;
using DpBert.Planning;

namespace DpBert.EarlyExit;

/// <summary>
/// Early-exit inference for DeeBERT and PABEE: layers run one at a time and after each, every input still
/// running consults its exit head; inputs that exit leave the batch (the remaining rows are compacted, so the
/// next layer runs only on them). The plan of an input is the first j layers it ran.
/// Knobs: DeeBERT's entropy threshold S (nats, &gt;= 0; 0 never exits early) and PABEE's patience (whole
/// number &gt;= 1; for regression, a prediction "stays the same" when it moves less than
/// <see cref="RegressionTolerance"/>).
/// </summary>
public sealed class EarlyExitClassifier : IAdaptiveClassifier
{
    private readonly BertForSequenceClassification _model;
    private readonly BertActivations _active;
    private float[] _logits = [], _pooled = [], _previous = [];

    /// <summary>The backbone.</summary>
    public BertForSequenceClassification Model => _model;
    /// <summary>The exit heads.</summary>
    public ExitHeads Heads { get; }
    /// <summary>PABEE on a regression task: largest change of the prediction that still counts as "the same".</summary>
    public double RegressionTolerance { get; init; } = 0.1;

    /// <summary>Pairs a backbone with its exit heads.</summary>
    /// <exception cref="ArgumentException">DeeBERT on a regression task (its criterion is the entropy of class probabilities).</exception>
    public EarlyExitClassifier(BertForSequenceClassification model, ExitHeads heads)
    {
        if (heads.Method == EarlyExitMethod.DeeBert && model.IsRegression)
            throw new ArgumentException("DeeBERT exits on the entropy of class probabilities; it does not apply to a regression task (num_labels = 1)", nameof(heads));
        _model = model;
        Heads = heads;
        _active = new BertActivations(model.Config);
    }

    /// <inheritdoc/>
    public string Method => Heads.Method == EarlyExitMethod.DeeBert ? "deebert" : "pabee";
    /// <inheritdoc/>
    public string KnobName => Heads.Method == EarlyExitMethod.DeeBert ? "entropy" : "patience";
    /// <inheritdoc/>
    public int LayerCount => _model.Config.NumHiddenLayers;
    /// <inheritdoc/>
    public int NumLabels => _model.Config.NumLabels;
    /// <inheritdoc/>
    public int PadTokenId => _model.Config.PadTokenId;

    /// <inheritdoc/>
    public void ValidateKnob(double knob)
    {
        if (Heads.Method == EarlyExitMethod.DeeBert)
        {
            if (!(knob >= 0) || double.IsInfinity(knob)) throw new ArgumentOutOfRangeException(nameof(knob), $"DeeBERT entropy threshold {knob} must be a finite number >= 0");
        }
        else if (!(knob >= 1) || knob != Math.Floor(knob) || double.IsInfinity(knob))
            throw new ArgumentOutOfRangeException(nameof(knob), $"PABEE patience {knob} must be a whole number >= 1");
    }

    /// <inheritdoc/>
    public AdaptiveOutput Classify(BertBatch batch, double knob)
    {
        ValidateKnob(knob);
        var config = _model.Config;
        int b = batch.BatchSize, s = batch.SequenceLength, h = config.HiddenSize, n = config.NumLabels, layers = config.NumHiddenLayers, rowSize = s * h;
        _model.Bert.Forward(batch, runLayer: _ => false);
        var ws = _model.Bert.Activations;
        _active.EnsureCapacity(b, s);
        ws.Hidden.AsSpan(0, b * rowSize).CopyTo(_active.Hidden);
        ws.AdditiveMask.AsSpan(0, b * s).CopyTo(_active.AdditiveMask);
        Ensure(ref _logits, b * n); Ensure(ref _pooled, b * h); Ensure(ref _previous, b * n);
        var rows = Enumerable.Range(0, b).ToList();   // original index of each active row, in buffer order
        var streak = new int[b];                       // PABEE: layers in a row with the same prediction, by original index
        var output = new float[b * n];
        var depth = new int[b];
        for (int l = 0; l < layers && rows.Count > 0; l++)
        {
            int active = rows.Count;
            _model.Bert.Layers[l].Forward(_active, active, s);
            Heads.Logits(_logits, _pooled, _active.Hidden, l, active, s);
            var keep = new List<int>(active);
            for (int i = 0; i < active; i++)
            {
                int row = rows[i];
                var logits = _logits.AsSpan(i * n, n);
                bool exit = l == layers - 1 || Exits(logits, _previous.AsSpan(row * n, n), ref streak[row], l, knob);
                logits.CopyTo(_previous.AsSpan(row * n, n));
                if (exit)
                {
                    logits.CopyTo(output.AsSpan(row * n, n));
                    depth[row] = l + 1;
                }
                else keep.Add(i);
            }
            if (keep.Count == active) continue;
            // Compact the rows that continue to the front of the buffers.
            for (int j = 0; j < keep.Count; j++)
            {
                int from = keep[j];
                if (from == j) continue;
                _active.Hidden.AsSpan(from * rowSize, rowSize).CopyTo(_active.Hidden.AsSpan(j * rowSize, rowSize));
                _active.AdditiveMask.AsSpan(from * s, s).CopyTo(_active.AdditiveMask.AsSpan(j * s, s));
            }
            rows = keep.Select(i => rows[i]).ToList();
        }
        var plans = depth.Select(d => LayerPlan.FirstLayers(layers, d)).ToArray();
        return new AdaptiveOutput(output, plans);
    }

    private bool Exits(ReadOnlySpan<float> logits, ReadOnlySpan<float> previous, ref int streak, int layer, double knob)
    {
        if (Heads.Method == EarlyExitMethod.DeeBert) return Entropy(logits) < knob;
        bool same = layer > 0 && (_model.IsRegression ? Math.Abs(logits[0] - previous[0]) < RegressionTolerance : ArgMax(logits) == ArgMax(previous));
        streak = same ? streak + 1 : 0;
        return streak >= knob;
    }

    /// <summary>Entropy (nats) of the softmax of <paramref name="logits"/>.</summary>
    public static double Entropy(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v);
        double sum = 0, weighted = 0;
        foreach (float v in logits)
        {
            double e = Math.Exp(v - max);
            sum += e;
            weighted += e * (v - max);
        }
        return Math.Log(sum) - weighted / sum;
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static void Ensure(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
    }
}
