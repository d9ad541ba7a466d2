using DpBert.Bert;
using DpBert.Methods;

namespace DpBert.EarlyExit;

/// <summary>
/// Early-exit inference for DeeBERT and PABEE: layers run one at a time and after each, every input still
/// running consults its exit head; an input that exits stops (the next layer runs only on the rows still
/// running). The plan of an input is the first j layers it ran.
/// Knobs: DeeBERT's entropy threshold S (nats, &gt;= 0; 0 never exits early) and PABEE's patience (whole
/// number &gt;= 1; for regression, a prediction "stays the same" when it moves less than
/// <see cref="RegressionTolerance"/>).
/// </summary>
public sealed class EarlyExitClassifier : IAdaptiveClassifier
{
    private readonly ExitPolicy _policy;

    /// <summary>The backbone.</summary>
    public BertForSequenceClassification Model { get; }
    /// <summary>The exit heads.</summary>
    public ExitHeads Heads { get; }
    /// <inheritdoc/>
    public AdaptiveMethod Method => Heads.Method == EarlyExitMethod.DeeBert ? DeeBertMethod.Instance : PabeeMethod.Instance;
    /// <summary>PABEE on a regression task: largest change of the prediction that still counts as "the same".</summary>
    public double RegressionTolerance { get; init; } = 0.1;

    /// <summary>Pairs a backbone with its exit heads.</summary>
    /// <exception cref="ArgumentException">DeeBERT on a regression task (its criterion is the entropy of class probabilities).</exception>
    public EarlyExitClassifier(BertForSequenceClassification model, ExitHeads heads)
    {
        if (heads.Method == EarlyExitMethod.DeeBert && model.IsRegression)
            throw new ArgumentException("DeeBERT exits on the entropy of class probabilities; it does not apply to a regression task (num_labels = 1)", nameof(heads));
        Model = model;
        Heads = heads;
        _policy = new ExitPolicy(this);
    }

    /// <inheritdoc/>
    public AdaptiveOutput Classify(BertBatch batch, double knob)
    {
        Method.ValidateKnob(knob, Model.Config);
        _policy.Begin(batch.BatchSize, knob);
        var state = Model.Bert.Forward(batch, _policy);
        return new AdaptiveOutput(_policy.Output, state.Plans());
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

    /// <summary>
    /// After each layer, the exit head of that layer reads the [CLS] state (or the tokens' mean) of every row still running; a row that
    /// exits (or reaches the last layer) keeps those logits and stops.
    /// </summary>
    private sealed class ExitPolicy(EarlyExitClassifier owner) : IEncoderPolicy
    {
        private double _knob;
        private int[] _streak = [], _rows = [];
        private float[] _cls = [], _logits = [], _pooled = [], _previous = [];

        /// <summary>The logits each row exited with (B, num_labels).</summary>
        public float[] Output { get; private set; } = [];

        public void Begin(int batchSize, double knob)
        {
            int n = owner.Model.Config.NumLabels;
            _knob = knob;
            Output = new float[batchSize * n];
            if (_streak.Length < batchSize) { _streak = new int[batchSize]; _rows = new int[batchSize]; }
            Array.Clear(_streak);
            Tensors.Buffers.Ensure(ref _previous, batchSize * n);
        }

        public void AtBoundary(EncoderState state)
        {
            int layer = state.CurrentLayer - 1, b = state.BatchSize, h = state.HiddenSize, n = owner.Model.Config.NumLabels;
            if (layer < 0) return;
            int active = 0;
            for (int r = 0; r < b; r++) if (!state.IsStopped(r)) _rows[active++] = r;
            if (active == 0) return;
            Tensors.Buffers.Ensure(ref _cls, active * h); Tensors.Buffers.Ensure(ref _pooled, active * h); Tensors.Buffers.Ensure(ref _logits, active * n);
            var pooling = owner.Heads.InputOf(layer);
            for (int i = 0; i < active; i++)
                TokenPoolings.SummarizeRow(pooling, _cls.AsSpan(i * h, h), state.Hidden, state.Batch.AttentionMask, _rows[i], state.SequenceLength, h);
            owner.Heads.Logits(_logits, _pooled, _cls, layer, active, seqLen: 1);
            bool last = layer == state.LayerCount - 1;
            for (int i = 0; i < active; i++)
            {
                int row = _rows[i];
                var logits = _logits.AsSpan(i * n, n);
                bool exit = last || Exits(logits, _previous.AsSpan(row * n, n), ref _streak[row], layer);
                logits.CopyTo(_previous.AsSpan(row * n, n));
                if (!exit) continue;
                logits.CopyTo(Output.AsSpan(row * n, n));
                if (!last) state.Stop(row);
            }
        }

        private bool Exits(ReadOnlySpan<float> logits, ReadOnlySpan<float> previous, ref int streak, int layer)
        {
            if (owner.Heads.Method == EarlyExitMethod.DeeBert) return Entropy(logits) < _knob;
            bool same = layer > 0 && (owner.Model.IsRegression ? Math.Abs(logits[0] - previous[0]) < owner.RegressionTolerance : ArgMax(logits) == ArgMax(previous));
            streak = same ? streak + 1 : 0;
            return streak >= _knob;
        }
    }
}
