using System.Globalization;
using System.Text.Json;
using DpBert.Bert;
using DpBert.Checkpoints;

namespace DpBert.Benchmarks;

/// <summary>
/// Development (issue 18): how well can a linear model tell, from what the DPBERT planner reads, whether an input needs
/// more than a given number of layers? Reads oracle plans (<c>dpbert oracle</c>'s or <c>dpbert plan</c>'s
/// <c>oracle_train_plans.jsonl</c>: token ids and the cheapest plan that keeps the full model's prediction), runs the
/// model they were searched on, and fits a logistic regression (<see cref="LogisticFit"/>: standardised features, L2 1.0) on
/// several views of each input, scored by 5-fold cross-validated ROC AUC: the mean of the real tokens' states after
/// <c>--layer</c> (the mean-input planner's input), the [CLS] state there (the original planner's), the last layer's
/// mean (what the whole model knows), and two single numbers, the full model's logit margin (for a regression model, its
/// predicted score) and the input's length.
/// An AUC near 0.5 means the planner cannot know which inputs need depth; near 1, that it could. The plan files hold no
/// token types: for sentence pairs (MRPC, STS-B) the tokens after the first [SEP] are the second segment, as the tokenizer
/// encodes them.
/// </summary>
internal static class OracleProbe
{
    public static void Run(string modelFolder, string plansFile, int depthAbove, int layer)
    {
        var loaded = ModelFolder.LoadSequenceClassifier(modelFolder);
        var model = loaded.Model;
        int h = loaded.Config.HiddenSize, last = loaded.Config.NumHiddenLayers;
        if (layer < 1 || layer > last) throw new ArgumentException($"--layer {layer} is not in 1..{last}");
        var rows = ReadPlans(plansFile);
        int n = rows.Count, sep = loaded.Tokenizer.Vocabulary.GetId("[SEP]");
        string output = model.IsRegression ? "full model's predicted score (1 number)" : "full model's |logit margin| (1 number)";
        var views = new Dictionary<string, float[][]>
        {
            [$"layer-{layer} mean of real tokens (mean-input planner)"] = new float[n][],
            [$"layer-{layer} [CLS] (original planner)"] = new float[n][],
            [$"layer-{last} mean of real tokens (whole model)"] = new float[n][],
            [output] = new float[n][],
            ["length in tokens (1 number)"] = new float[n][],
        };
        var names = views.Keys.ToArray();
        const int batchSize = 32;
        for (int start = 0; start < n; start += batchSize)
        {
            var slice = rows.GetRange(start, Math.Min(batchSize, n - start));
            int width = slice.Max(r => r.Ids.Length);
            var ids = slice.Select(r => r.Ids.Concat(Enumerable.Repeat(0, width - r.Ids.Length)).ToArray()).ToArray();
            var mask = slice.Select(r => Enumerable.Repeat(1, r.Ids.Length).Concat(Enumerable.Repeat(0, width - r.Ids.Length)).ToArray()).ToArray();
            var recorder = new HiddenStateRecorder();
            var types = ids.Select(row => SegmentIds(row, sep)).ToArray();
            var logits = model.Forward(BertBatch.FromRows(ids, types, mask), recorder);
            int labels = logits.Length / slice.Count;
            for (int b = 0; b < slice.Count; b++)
            {
                int i = start + b, tokens = slice[b].Ids.Length;
                views[names[0]][i] = MeanOfTokens(recorder.States[layer], b, width, tokens, h);
                views[names[1]][i] = recorder.States[layer].AsSpan(b * width * h, h).ToArray();
                views[names[2]][i] = MeanOfTokens(recorder.States[last], b, width, tokens, h);
                var row = logits.AsSpan(b * labels, labels).ToArray();
                float top = row.Max(), second = row.Length > 1 ? row.OrderDescending().ElementAt(1) : 0f;
                views[names[3]][i] = [top - second];
                views[names[4]][i] = [tokens];
            }
        }
        var label = rows.Select(r => r.Depth > depthAbove).ToArray();
        double positive = label.Count(l => l) / (double)n;
        Console.WriteLine($"# oracle probe: {n} inputs from {plansFile}; model {modelFolder}");
        Console.WriteLine($"# depth histogram {string.Join(", ", rows.GroupBy(r => r.Depth).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"))}; " +
            $"target: more than {depthAbove} layers ({positive:P1} of the inputs; majority-class accuracy {Math.Max(positive, 1 - positive):P1})");
        Console.WriteLine("| planner could read | 5-fold ROC AUC | accuracy |");
        Console.WriteLine("|---|---|---|");
        foreach (var name in names)
        {
            var (auc, accuracy) = LogisticFit.CrossValidate(views[name], label);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {auc:F3} | {accuracy:P1} |"));
        }
    }

    // 0 up to and including the first [SEP], 1 after it (padding, whose type the mask hides, included).
    private static int[] SegmentIds(int[] ids, int sep)
    {
        int first = Array.IndexOf(ids, sep);
        return ids.Select((_, t) => first >= 0 && t > first ? 1 : 0).ToArray();
    }

    private static float[] MeanOfTokens(float[] states, int b, int width, int tokens, int h)
    {
        var mean = new float[h];
        for (int t = 0; t < tokens; t++)
        {
            var token = states.AsSpan((b * width + t) * h, h);
            for (int d = 0; d < h; d++) mean[d] += token[d];
        }
        for (int d = 0; d < h; d++) mean[d] /= tokens;
        return mean;
    }

    private static List<(int[] Ids, int Depth)> ReadPlans(string file)
    {
        var rows = new List<(int[] Ids, int Depth)>();
        int line = 0;
        foreach (string text in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                var e = JsonDocument.Parse(text).RootElement;
                var ids = e.GetProperty("input_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
                string plan = e.GetProperty("plan").GetString() ?? throw new FormatException("\"plan\" is null");
                rows.Add((ids, plan.Count(c => c == '1')));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new FormatException($"{file}, line {line}: {ex.Message}", ex);
            }
        }
        if (rows.Count < 10) throw new InvalidDataException($"{file}: {rows.Count} plans, too few to cross-validate");
        return rows;
    }
}
