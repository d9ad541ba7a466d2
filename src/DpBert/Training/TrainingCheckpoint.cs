using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tokenization;

namespace DpBert.Training;

/// <summary>Where a run stands: enough to resume it exactly.</summary>
/// <param name="GlobalStep">Optimizer steps done.</param>
/// <param name="Epoch">Current epoch (0-based).</param>
/// <param name="BatchInEpoch">Micro-batches of <paramref name="Epoch"/> already consumed.</param>
/// <param name="TotalSteps">Optimizer steps planned.</param>
/// <param name="BestMetric">Best value of the main metric so far (NaN before the first evaluation).</param>
/// <param name="BestStep">Step of <paramref name="BestMetric"/>.</param>
/// <param name="EvaluationsWithoutImprovement">For early stopping.</param>
public sealed record TrainerState(int GlobalStep, int Epoch, int BatchInEpoch, int TotalSteps, double BestMetric, int BestStep, int EvaluationsWithoutImprovement);

/// <summary>
/// Model folders and resumable checkpoints. A model folder holds <c>config.json</c>, <c>model.safetensors</c>,
/// <c>vocab.txt</c> and <c>tokenizer_config.json</c> (what <see cref="ModelFolder"/> loads); a checkpoint adds
/// <c>optimizer.safetensors</c> (AdamW moments) and <c>trainer_state.json</c>. Both are written atomically.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Trainer state file name.</summary>
    public const string StateFileName = "trainer_state.json";
    /// <summary>Optimizer state file name.</summary>
    public const string OptimizerFileName = "optimizer.safetensors";

    /// <summary>Writes the four model files into <paramref name="folder"/> (which must exist).</summary>
    public static void WriteModelFiles(string folder, BertConfig config, ParameterSet parameters, BertTokenizer tokenizer)
    {
        config.Save(Path.Combine(folder, ModelFolder.ConfigFileName));
        ParameterCheckpoint.Save(parameters, Path.Combine(folder, ModelFolder.WeightsFileName));
        var vocab = tokenizer.Vocabulary;
        using (var writer = new StreamWriter(Path.Combine(folder, BertTokenizer.VocabFileName)) { NewLine = "\n" })
        {
            for (int i = 0; i < vocab.Count; i++) writer.WriteLine(vocab.GetToken(i));
        }
        var options = tokenizer.Options;
        var tokenizerConfig = new JsonObject
        {
            ["do_lower_case"] = options.DoLowerCase,
            ["strip_accents"] = options.StripAccents is bool b ? JsonValue.Create(b) : null,
            ["tokenize_chinese_chars"] = options.TokenizeChineseChars,
            ["model_max_length"] = config.MaxPositionEmbeddings,
            ["tokenizer_class"] = "BertTokenizer",
        };
        File.WriteAllText(Path.Combine(folder, BertTokenizerOptions.ConfigFileName), tokenizerConfig.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Writes a resumable checkpoint folder atomically.</summary>
    public static void Save(string folder, BertConfig config, ParameterSet parameters, BertTokenizer tokenizer, AdamW optimizer, TrainerState state)
    {
        AtomicFolder.Write(folder, temp =>
        {
            WriteModelFiles(temp, config, parameters, tokenizer);
            var moments = optimizer.ExportState();
            var writer = new SafetensorsWriter();
            writer.Metadata["step"] = moments.Step.ToString(CultureInfo.InvariantCulture);
            writer.Add("exp_avg", [moments.FirstMoment.LongLength], moments.FirstMoment);
            writer.Add("exp_avg_sq", [moments.SecondMoment.LongLength], moments.SecondMoment);
            writer.Save(Path.Combine(temp, OptimizerFileName));
            File.WriteAllText(Path.Combine(temp, StateFileName), JsonSerializer.Serialize(state, StateJson));
        });
    }

    /// <summary>Reads the trainer state and restores the optimizer moments of a checkpoint.</summary>
    /// <exception cref="InvalidDataException">A file is missing or malformed; the message names it.</exception>
    public static TrainerState LoadTrainingState(string folder, AdamW optimizer)
    {
        string statePath = Path.Combine(folder, StateFileName);
        if (!File.Exists(statePath)) throw new InvalidDataException($"{folder}: {StateFileName} not found; not a resumable checkpoint");
        TrainerState state;
        try { state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), StateJson) ?? throw new InvalidDataException($"{statePath}: empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{statePath}: {e.Message}", e); }
        string optimizerPath = Path.Combine(folder, OptimizerFileName);
        if (!File.Exists(optimizerPath)) throw new InvalidDataException($"{folder}: {OptimizerFileName} not found");
        using var file = SafetensorsFile.Open(optimizerPath);
        if (!file.Metadata.TryGetValue("step", out var stepText) || !long.TryParse(stepText, CultureInfo.InvariantCulture, out long step))
            throw new InvalidDataException($"{optimizerPath}: metadata \"step\" is missing or not a number");
        optimizer.RestoreState(new AdamWState(step, file.ReadFloat32("exp_avg"), file.ReadFloat32("exp_avg_sq")));
        return state;
    }

    private static readonly JsonSerializerOptions StateJson = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
