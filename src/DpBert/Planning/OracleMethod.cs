using System.Text.Json;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Methods;

namespace DpBert.Planning;

/// <summary>
/// The oracle: every input runs its oracle plan (<see cref="OraclePlans"/>), looked up by its token ids in the
/// plans <c>dpbert oracle</c> wrote. It knows each answer in advance, so it is a bound to measure planners
/// against, not a method to deploy; its latency is that of executing those plans for real.
/// </summary>
public sealed class OracleMethod : AdaptiveMethod
{
    /// <summary>The method.</summary>
    public static OracleMethod Instance { get; } = new();
    private OracleMethod() { }

    /// <summary>File of the plans inside the oracle folder: one JSON object per line, <c>{"input_ids": [...], "plan": "1101"}</c>.</summary>
    public const string PlansFileName = "oracle_plans.jsonl";

    /// <inheritdoc/>
    public override string Name => "oracle";
    /// <inheritdoc/>
    public override string Description => "each input runs the cheapest plan that keeps the full model's prediction (an upper bound; it knows the answer)";
    /// <inheritdoc/>
    public override string DefaultFolderName => "oracle";
    /// <inheritdoc/>
    public override string TrainingCommand => "dpbert oracle";

    /// <inheritdoc/>
    public override IAdaptiveClassifier Load(LoadedModel fineTuned, string? folder = null)
    {
        string path = Path.Combine(RequireFolder(fineTuned, folder), PlansFileName);
        return new KnownPlansClassifier(fineTuned.Model, ReadPlans(path, fineTuned.Config.NumHiddenLayers));
    }

    /// <summary>Writes the plans of <paramref name="inputIds"/> (one id sequence per input, without padding).</summary>
    public static void WritePlans(string path, IReadOnlyList<int[]> inputIds, IReadOnlyList<LayerPlan> plans)
    {
        using var writer = new StreamWriter(path) { NewLine = "\n" };
        for (int i = 0; i < plans.Count; i++)
            writer.WriteLine(JsonSerializer.Serialize(new { input_ids = inputIds[i], plan = plans[i].ToString() }));
    }

    /// <summary>Reads a plans file; every plan must cover <paramref name="layers"/> layers.</summary>
    /// <exception cref="InvalidDataException">A malformed line; the message names the file and line.</exception>
    public static Dictionary<string, LayerPlan> ReadPlans(string path, int layers)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found; write it with `dpbert oracle`", path);
        var plans = new Dictionary<string, LayerPlan>(StringComparer.Ordinal);
        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var json = JsonDocument.Parse(text);
                var ids = json.RootElement.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                var plan = LayerPlan.Parse(json.RootElement.GetProperty("plan").GetString() ?? "");
                if (plan.LayerCount != layers) throw new FormatException($"plan {plan} covers {plan.LayerCount} layers; the model has {layers}");
                plans[KnownPlansClassifier.Key(ids)] = plan;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}:{line}: {e.Message}", e);
            }
        }
        return plans;
    }
}

/// <summary>Runs each input on a plan known in advance for its token ids (the full plan for an unknown input).</summary>
public sealed class KnownPlansClassifier(BertForSequenceClassification model, IReadOnlyDictionary<string, LayerPlan> plans) : IAdaptiveClassifier
{
    /// <inheritdoc/>
    public AdaptiveMethod Method => OracleMethod.Instance;
    /// <inheritdoc/>
    public BertForSequenceClassification Model => model;
    /// <summary>Inputs seen so far whose ids had no known plan (they ran every layer).</summary>
    public int Unknown { get; private set; }

    /// <inheritdoc/>
    public AdaptiveOutput Classify(BertBatch batch, double knob)
    {
        int b = batch.BatchSize, s = batch.SequenceLength, layers = model.Config.NumHiddenLayers;
        var rows = new LayerPlan[b];
        for (int r = 0; r < b; r++)
        {
            int length = 0;
            while (length < s && batch.AttentionMask[r * s + length] == 1) length++;
            if (!plans.TryGetValue(Key(batch.InputIds.AsSpan(r * s, length)), out var plan)) { plan = LayerPlan.Full(layers); Unknown++; }
            rows[r] = plan;
        }
        return new AdaptiveOutput(model.Forward(batch, new FixedPlans(rows)), rows);
    }

    /// <summary>The lookup key of an input: its token ids.</summary>
    public static string Key(ReadOnlySpan<int> ids) => string.Join(' ', ids.ToArray());
}
