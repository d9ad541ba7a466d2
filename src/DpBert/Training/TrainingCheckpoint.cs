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
/// <param name="TrainingRows">The training set's <see cref="EncodedDataset.Fingerprint"/>, and the objective's <see cref="ITrainingObjective.TargetsFingerprint"/> when it has one (null in checkpoints written before it was recorded).</param>
public sealed record TrainerState(int GlobalStep, int Epoch, int BatchInEpoch, int TotalSteps, double BestMetric, int BestStep, int EvaluationsWithoutImprovement,
    string? TrainingRows = null);

/// <summary>
/// Model folders and resumable checkpoints. A model folder holds <c>config.json</c>, <c>model.safetensors</c>,
/// <c>vocab.txt</c> and <c>tokenizer_config.json</c> (what <see cref="ModelFolder"/> loads), plus a method's own files;
/// a checkpoint adds <c>optimizer.safetensors</c> (AdamW moments of every parameter group) and
/// <c>trainer_state.json</c>. Both are written atomically.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Trainer state file name.</summary>
    public const string StateFileName = "trainer_state.json";
    /// <summary>Optimizer state file name.</summary>
    public const string OptimizerFileName = "optimizer.safetensors";

    /// <summary>Writes the four model files into <paramref name="folder"/> (which must exist); see <see cref="ModelFolder.WriteFiles"/>.</summary>
    public static void WriteModelFiles(string folder, BertConfig config, ParameterSet parameters, BertTokenizer tokenizer) =>
        ModelFolder.WriteFiles(folder, config, parameters, tokenizer);

    /// <summary>
    /// Writes a resumable checkpoint folder atomically: the objective's model files, the AdamW moments of every
    /// parameter group (<c>{group}.exp_avg</c>, <c>{group}.exp_avg_sq</c>, step count in the metadata
    /// <c>{group}.step</c>) and the trainer state.
    /// </summary>
    public static void Save(string folder, ITrainingObjective objective, IReadOnlyList<AdamW> optimizers, TrainerState state)
    {
        AtomicFolder.Write(folder, temp =>
        {
            objective.WriteModel(temp);
            var writer = new SafetensorsWriter();
            for (int i = 0; i < optimizers.Count; i++)
            {
                string name = objective.Groups[i].Name;
                var moments = optimizers[i].ExportState();
                writer.Metadata[$"{name}.step"] = moments.Step.ToString(CultureInfo.InvariantCulture);
                writer.Add($"{name}.exp_avg", [moments.FirstMoment.LongLength], moments.FirstMoment);
                writer.Add($"{name}.exp_avg_sq", [moments.SecondMoment.LongLength], moments.SecondMoment);
            }
            writer.Save(Path.Combine(temp, OptimizerFileName));
            File.WriteAllText(Path.Combine(temp, StateFileName), JsonSerializer.Serialize(state, StateJson));
        });
    }

    /// <summary>Restores every group's weights and optimizer moments from a checkpoint and returns the trainer state.</summary>
    /// <exception cref="InvalidDataException">A file is missing or malformed; the message names it.</exception>
    public static TrainerState Load(string folder, IReadOnlyList<ParameterGroup> groups, IReadOnlyList<AdamW> optimizers)
    {
        string statePath = Path.Combine(folder, StateFileName);
        if (!File.Exists(statePath)) throw new InvalidDataException($"{folder}: {StateFileName} not found; not a resumable checkpoint");
        TrainerState state;
        try { state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(statePath), StateJson) ?? throw new InvalidDataException($"{statePath}: empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{statePath}: {e.Message}", e); }
        string optimizerPath = Path.Combine(folder, OptimizerFileName);
        if (!File.Exists(optimizerPath)) throw new InvalidDataException($"{folder}: {OptimizerFileName} not found");
        using var file = SafetensorsFile.Open(optimizerPath);
        for (int i = 0; i < groups.Count; i++)
        {
            var group = groups[i];
            string weights = Path.Combine(folder, group.FileName);
            if (!File.Exists(weights)) throw new InvalidDataException($"{folder}: {group.FileName} not found");
            ParameterCheckpoint.Load(group.Parameters, weights);
            group.Parameters.MarkChanged();
            if (!file.Metadata.TryGetValue($"{group.Name}.step", out var stepText) || !long.TryParse(stepText, CultureInfo.InvariantCulture, out long step))
                throw new InvalidDataException($"{optimizerPath}: metadata \"{group.Name}.step\" is missing or not a number");
            optimizers[i].RestoreState(new AdamWState(step, file.ReadFloat32($"{group.Name}.exp_avg"), file.ReadFloat32($"{group.Name}.exp_avg_sq")));
        }
        return state;
    }

    private static readonly JsonSerializerOptions StateJson = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
