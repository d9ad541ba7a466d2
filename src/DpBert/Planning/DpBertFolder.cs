using System.Text.Json;
using System.Text.Json.Nodes;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Planning;

/// <summary>
/// A DPBERT model folder: an ordinary model folder (the jointly trained backbone, loadable by anything that
/// loads a classifier) plus <c>planner.safetensors</c> and <c>dpbert_config.json</c> (always-run layers and the
/// training knobs).
/// </summary>
public static class DpBertFolder
{
    /// <summary>File name of the planner's weights.</summary>
    public const string PlannerFileName = "planner.safetensors";
    /// <summary>File name of the planner's settings.</summary>
    public const string ConfigFileName = "dpbert_config.json";

    /// <summary>True when <paramref name="folder"/> holds a planner.</summary>
    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, PlannerFileName)) && File.Exists(Path.Combine(folder, ConfigFileName));

    /// <summary>
    /// Writes backbone, tokenizer, planner and its settings into the existing folder <paramref name="folder"/>. With depth heads,
    /// the backbone's own <c>classifier</c> is first set to the head of full-length plans (stage two does not train the
    /// model's head then), so the folder loaded as an ordinary classifier runs every layer with the head trained for that.
    /// </summary>
    public static void WriteFiles(string folder, BertForSequenceClassification model, BertTokenizer tokenizer, PlanningModule planner, PlannerTrainingOptions options)
    {
        planner.DepthHeads?.CopyFullDepthHeadTo(model.Classifier, planner.Parameters, model.Parameters);
        TrainingCheckpoint.WriteModelFiles(folder, model.Config, model.Parameters, tokenizer);
        ParameterCheckpoint.Save(planner.Parameters, Path.Combine(folder, PlannerFileName));
        var json = new JsonObject
        {
            ["always_run_layers"] = planner.AlwaysRunLayers,
            ["planned_layers"] = planner.PlannedLayers,
            ["planner_input"] = TokenPoolings.Name(planner.Input),
            ["rho"] = options.Rho,
            ["lambda"] = options.Lambda,
            ["distillation_weight"] = options.DistillationWeight,
            ["temperature_start"] = options.TemperatureStart,
            ["temperature_end"] = options.TemperatureEnd,
            ["oracle_weight"] = options.OracleWeight,
            ["gate_estimator"] = GateEstimators.Name(options.Estimator),
            ["layer_cost"] = options.LayerCost,
            ["depth_heads"] = planner.DepthHeads is not null,
        };
        File.WriteAllText(Path.Combine(folder, ConfigFileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Loads a DPBERT folder written by <see cref="WriteFiles"/> (the folder <c>dpbert plan</c> writes).</summary>
    /// <exception cref="FileNotFoundException">The planner files are missing; the message names the folder and file.</exception>
    /// <exception cref="InvalidDataException">The settings are malformed or do not fit the backbone.</exception>
    public static (LoadedModel Backbone, DpBertClassifier Classifier) Load(string folder)
    {
        var backbone = ModelFolder.LoadSequenceClassifier(folder);
        string configPath = Path.Combine(folder, ConfigFileName), plannerPath = Path.Combine(folder, PlannerFileName);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{folder}: {ConfigFileName} not found (train a planner with `dpbert plan`)", configPath);
        if (!File.Exists(plannerPath)) throw new FileNotFoundException($"{folder}: {PlannerFileName} not found", plannerPath);
        int k;
        TokenPooling input;
        bool depthHeads;
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(configPath)) ?? throw new InvalidDataException("empty");
            k = json["always_run_layers"]?.GetValue<int>() ?? throw new InvalidDataException("no \"always_run_layers\"");
            // Folders written before the choice existed have no key: their planners read [CLS].
            try { input = json["planner_input"] is { } name ? TokenPoolings.Parse(name.GetValue<string>()) : TokenPooling.Cls; }
            catch (ArgumentException e) { throw new InvalidDataException($"planner_input: {e.Message}", e); }
            depthHeads = json["depth_heads"]?.GetValue<bool>() ?? false;   // absent in folders written before depth heads existed
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or InvalidDataException)
        {
            throw new InvalidDataException($"{configPath}: {e.Message}", e);
        }
        if (k < 1 || k >= backbone.Config.NumHiddenLayers)
            throw new InvalidDataException($"{configPath}: always_run_layers {k} must be in [1, {backbone.Config.NumHiddenLayers})");
        var planner = new PlanningModule(backbone.Config, k, input, depthHeads);
        ParameterCheckpoint.Load(planner.Parameters, plannerPath);
        planner.Parameters.MarkChanged();
        return (backbone, new DpBertClassifier(backbone.Model, planner));
    }
}
