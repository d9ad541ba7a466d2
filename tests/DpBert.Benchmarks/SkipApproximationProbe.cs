using System.Globalization;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Glue;

namespace DpBert.Benchmarks;

/// <summary>
/// Development (issue 18): can a bypassed layer be replaced by something far cheaper than the layer and far closer to it
/// than the identity? On a frozen fine-tuned model, fits for every layer l an affine map of each token's state,
/// <c>h_l ≈ h_(l-1) + h_(l-1) A_l + b_l</c> (ridge least squares over the real tokens of <c>--fit</c> training sentences,
/// solved in closed form; the ridge term is <c>--ridge</c> times the mean diagonal of X^T X, the bias not penalised), then scores every plan over the layers after <c>--always</c> on SST-2's 872 held-out sentences
/// (<c>--held-out 872 --held-out-rows whole</c>, as the SST-2 comparison sets them aside) twice:
/// with the bypassed layers as the identity (DPBERT's bypass) and as their affine maps. Reports each plan's agreement with
/// the full model, and the oracle bound (per input, the fewest layers that keep the full model's prediction) both ways.
/// Inputs are truncated at <c>--max-seq-length</c> (64, as in the SST-2 comparison). An affine map costs H^2 multiply-adds a
/// token, a twelfth of a layer's 12 H^2 in its dense weights (attention's scores and context come on top).
/// </summary>
internal static class SkipApproximationProbe
{
    public static void Run(string modelFolder, int fitCount, int always, int maxLength, double ridge, string second)
    {
        if (second is not ("affine" or "attention")) throw new ArgumentException($"--second {second}: use affine or attention");
        var loaded = ModelFolder.LoadSequenceClassifier(modelFolder);
        var model = loaded.Model;
        int layers = loaded.Config.NumHiddenLayers, h = loaded.Config.HiddenSize;
        var (training, heldOut) = GlueDataset.Load("sst2", "train").SplitHeldOut(872, rows: HeldOutRows.Whole);
        var fitRows = Enumerable.Range(0, fitCount).Select(i => training[(int)((long)i * training.Count / fitCount)]).ToList();
        var started = DateTime.UtcNow;

        // Normal equations per layer over [h, 1]: X^T X (h+1)^2 and X^T (Y - X) (h+1) x h, in double.
        var xtx = new double[layers][];
        var xty = new double[layers][];
        for (int l = 0; l < layers; l++) { xtx[l] = new double[(h + 1) * (h + 1)]; xty[l] = new double[(h + 1) * h]; }
        long tokensSeen = 0;
        foreach (var (batch, lengths) in second == "affine" ? Batches(loaded, fitRows, maxLength) : [])
        {
            var recorder = new HiddenStateRecorder();
            model.Forward(batch, recorder);
            for (int b = 0; b < batch.BatchSize; b++)
            {
                for (int t = 0; t < lengths[b]; t++)
                {
                    int offset = (b * batch.SequenceLength + t) * h;
                    tokensSeen++;
                    for (int l = 0; l < layers; l++)
                        Accumulate(xtx[l], xty[l], recorder.States[l].AsSpan(offset, h), recorder.States[l + 1].AsSpan(offset, h), h);
                }
            }
        }
        var maps = new AffineMap[layers];
        for (int l = 0; l < layers && tokensSeen > 0; l++) maps[l] = AffineMap.Solve(xtx[l], xty[l], h, ridge);
        if (tokensSeen > 0) Console.WriteLine($"# {modelFolder}: affine maps fitted on {fitCount} training rows ({tokensSeen} tokens), ridge {ridge}, {(DateTime.UtcNow - started).TotalSeconds:F0} s");
        // The second way to bypass: the layer's affine map, or its attention block alone (its feed-forward block bypassed).
        Func<bool[], IEncoderPolicy> secondWay = second == "affine"
            ? plan => new ApproximatedBypass(plan, maps, null, model.Bert)
            : plan => new ApproximatedBypass(plan, null, model.Bert.Layers, model.Bert);
        // What a bypassed layer costs the second way, in layers: an affine map H^2 of a layer's 12 H^2 multiply-adds, an
        // attention block its 4 H^2 (Q, K, V and the output projection; the scores and context come on top).
        double secondCost = second == "affine" ? 1.0 / 12 : 1.0 / 3;

        // Every plan that runs the first `always` layers, on the held-out sentences, both ways.
        int free = layers - always, plans = 1 << free;
        var rows = heldOut.ToList();
        var full = new List<int>();
        var gold = new List<int>();
        var perPlan = new List<int>[2, plans];
        for (int m = 0; m < 2; m++) for (int p = 0; p < plans; p++) perPlan[m, p] = [];
        foreach (var (batch, _) in Batches(loaded, rows, maxLength))
        {
            full.AddRange(Argmax(model.Forward(batch), batch.BatchSize));
            for (int p = 0; p < plans; p++)
            {
                var plan = PlanOf(p, always, layers);
                perPlan[0, p].AddRange(Argmax(model.Forward(batch, new ApproximatedBypass(plan, null, null, model.Bert)), batch.BatchSize));
                perPlan[1, p].AddRange(Argmax(model.Forward(batch, secondWay(plan)), batch.BatchSize));
            }
        }
        gold.AddRange(rows.Select(r => r.Label ?? -1));
        int n = rows.Count;
        double fullAccuracy = full.Zip(gold).Count(x => x.First == x.Second) / (double)n;
        Console.WriteLine($"# {n} held-out sentences; full model {fullAccuracy:P2}; plans run layers 1-{always} and any of {always + 1}-{layers}");
        Console.WriteLine($"| plan | layers | identity: agrees with full | identity: accuracy | {second}: agrees with full | {second}: accuracy |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (int p = plans - 1; p >= 0; p--)
        {
            var plan = PlanOf(p, always, layers);
            string Cell(int m) => string.Create(CultureInfo.InvariantCulture,
                $"{perPlan[m, p].Zip(full).Count(x => x.First == x.Second) / (double)n:P1} | {perPlan[m, p].Zip(gold).Count(x => x.First == x.Second) / (double)n:P2}");
            Console.WriteLine($"| {string.Concat(plan.Select(r => r ? '1' : '0'))} | {plan.Count(r => r)} | {Cell(0)} | {Cell(1)} |");
        }
        for (int m = 0; m < 2; m++)
        {
            double layersSum = 0, secondSum = 0, costSum = 0;
            for (int i = 0; i < n; i++)
            {
                // The cheapest plan that keeps the full model's prediction, its cost in layers.
                int best = layers, bypassed = 0;
                double bestCost = layers;
                for (int p = 0; p < plans; p++)
                {
                    int run = always + System.Numerics.BitOperations.PopCount((uint)p);
                    double cost = run + (m == 0 ? 0 : (layers - run) * secondCost);
                    if (perPlan[m, p][i] == full[i] && cost < bestCost) { bestCost = cost; best = run; bypassed = layers - run; }
                }
                layersSum += best;
                secondSum += bypassed;
                costSum += bestCost;
            }
            string line = m == 0
                ? string.Create(CultureInfo.InvariantCulture, $"oracle, identity bypass: {layersSum / n:F2} layers a sentence")
                : string.Create(CultureInfo.InvariantCulture, $"oracle, {second} bypass: {layersSum / n:F2} whole layers a sentence, plus {secondSum / n:F2} bypassed the {second} way ({costSum / n:F2} layers of cost)");
            Console.WriteLine(line);
        }
        Console.WriteLine($"# {(DateTime.UtcNow - started).TotalSeconds:F0} s in all");
    }

    private static bool[] PlanOf(int p, int always, int layers) =>
        Enumerable.Range(0, layers).Select(l => l < always || (p >> (l - always) & 1) == 1).ToArray();

    /// <summary>Each row's class (the first of equal scores).</summary>
    internal static IEnumerable<int> Argmax(float[] logits, int batch)
    {
        int labels = logits.Length / batch;
        for (int b = 0; b < batch; b++)
        {
            var row = logits.AsSpan(b * labels, labels);
            int best = 0;
            for (int j = 1; j < labels; j++) if (row[j] > row[best]) best = j;
            yield return best;
        }
    }

    /// <summary>Rows (single sentences or sentence pairs) in batches of 32, truncated at <paramref name="maxLength"/>, with each row's length in tokens.</summary>
    internal static IEnumerable<(BertBatch Batch, int[] Lengths)> Batches(LoadedModel loaded, IReadOnlyList<GlueExample> rows, int maxLength)
    {
        for (int start = 0; start < rows.Count; start += 32)
        {
            var slice = rows.Skip(start).Take(32).ToList();
            var pairs = slice.All(r => r.TextB is not null) ? slice.Select(r => r.TextB!).ToList() : null;
            var enc = loaded.Tokenizer.EncodeBatch(slice.Select(r => r.TextA).ToList(), pairs, maxLength);
            yield return (new BertBatch(enc.InputIds, enc.TokenTypeIds, enc.AttentionMask, enc.BatchSize, enc.SequenceLength), enc.Lengths);
        }
    }

    private static void Accumulate(double[] xtx, double[] xty, ReadOnlySpan<float> before, ReadOnlySpan<float> after, int h)
    {
        Span<double> x = stackalloc double[h + 1];
        for (int i = 0; i < h; i++) x[i] = before[i];
        x[h] = 1;
        for (int i = 0; i <= h; i++)
        {
            double xi = x[i];
            var row = xtx.AsSpan(i * (h + 1), h + 1);
            for (int j = 0; j <= h; j++) row[j] += xi * x[j];
            var target = xty.AsSpan(i * h, h);
            for (int j = 0; j < h; j++) target[j] += xi * (after[j] - before[j]);
        }
    }

    /// <summary><c>y = x + x A + b</c> per token, A (H, H) and b (H).</summary>
    private sealed class AffineMap(float[] a, float[] b, int h)
    {
        public static AffineMap Solve(double[] xtx, double[] xty, int h, double ridge)
        {
            int n = h + 1;
            var m = (double[])xtx.Clone();
            double trace = 0;
            for (int i = 0; i < h; i++) trace += m[i * n + i];
            for (int i = 0; i < h; i++) m[i * n + i] += ridge * trace / h;
            // Cholesky m = L L^T, then solve for every column of xty.
            for (int j = 0; j < n; j++)
            {
                double d = m[j * n + j];
                for (int k = 0; k < j; k++) d -= m[j * n + k] * m[j * n + k];
                if (d <= 0) throw new InvalidOperationException($"normal equations not positive definite at {j}");
                m[j * n + j] = Math.Sqrt(d);
                for (int i = j + 1; i < n; i++)
                {
                    double s = m[i * n + j];
                    for (int k = 0; k < j; k++) s -= m[i * n + k] * m[j * n + k];
                    m[i * n + j] = s / m[j * n + j];
                }
            }
            var a = new float[h * h];
            var bias = new float[h];
            var col = new double[n];
            for (int c = 0; c < h; c++)
            {
                for (int i = 0; i < n; i++) col[i] = xty[i * h + c];
                for (int i = 0; i < n; i++) { double s = col[i]; for (int k = 0; k < i; k++) s -= m[i * n + k] * col[k]; col[i] = s / m[i * n + i]; }
                for (int i = n - 1; i >= 0; i--) { double s = col[i]; for (int k = i + 1; k < n; k++) s -= m[k * n + i] * col[k]; col[i] = s / m[i * n + i]; }
                for (int i = 0; i < h; i++) a[i * h + c] = (float)col[i];
                bias[c] = (float)col[h];
            }
            return new AffineMap(a, bias, h);
        }

        public void Apply(Span<float> token)
        {
            Span<float> y = stackalloc float[h];
            b.CopyTo(y);
            for (int i = 0; i < h; i++)
            {
                float xi = token[i];
                var row = a.AsSpan(i * h, h);
                for (int j = 0; j < h; j++) y[j] += xi * row[j];
            }
            for (int j = 0; j < h; j++) token[j] += y[j];
        }
    }

    /// <summary>
    /// A fixed plan; a bypassed layer is the identity, its affine map when <c>maps</c> is given, or its attention block
    /// alone when <c>attentionOf</c> is.
    /// </summary>
    private sealed class ApproximatedBypass(bool[] plan, AffineMap[]? maps, IReadOnlyList<BertLayer>? attentionOf, BertModel bert) : IEncoderPolicy
    {
        public void AtBoundary(EncoderState state)
        {
            int l = state.CurrentLayer;
            if (l == 0)
            {
                for (int r = 0; r < state.BatchSize; r++) for (int k = 0; k < plan.Length; k++) state.SetRuns(r, k, plan[k]);
                return;
            }
            if (plan[l - 1]) return;
            if (attentionOf is not null)
            {
                attentionOf[l - 1].ForwardAttentionBlock(bert.Activations, state.BatchSize, state.SequenceLength, InferencePrecision.Float32);
                return;
            }
            if (maps is null) return;
            int tokens = state.BatchSize * state.SequenceLength, hidden = state.HiddenSize;
            var all = bert.Activations.Hidden;
            for (int t = 0; t < tokens; t++) maps[l - 1].Apply(all.AsSpan(t * hidden, hidden));
        }
    }
}
