using System.Text.Json;
using System.Text.Json.Nodes;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.EarlyExit;

/// <summary>
/// An early-exit model folder: an ordinary model folder (the backbone; PABEE's is retrained with its heads)
/// plus <c>exits.safetensors</c> and <c>early_exit_config.json</c> (<c>{"method": "deebert" | "pabee"}</c>).
/// </summary>
public static class EarlyExitFolder
{
    /// <summary>File name of the exit heads.</summary>
    public const string HeadsFileName = "exits.safetensors";
    /// <summary>File name of the settings.</summary>
    public const string ConfigFileName = "early_exit_config.json";

    /// <summary>True when <paramref name="folder"/> holds exit heads.</summary>
    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, HeadsFileName)) && File.Exists(Path.Combine(folder, ConfigFileName));

    /// <summary>Writes backbone, tokenizer, heads and settings into the existing folder <paramref name="folder"/>.</summary>
    public static void WriteFiles(string folder, BertForSequenceClassification model, BertTokenizer tokenizer, ExitHeads heads)
    {
        TrainingCheckpoint.WriteModelFiles(folder, model.Config, model.Parameters, tokenizer);
        ParameterCheckpoint.Save(heads.Parameters, Path.Combine(folder, HeadsFileName));
        var json = new JsonObject { ["method"] = MethodName(heads.Method), ["exits"] = heads.ExitCount, ["head_input"] = TokenPoolings.Name(heads.Input) };
        File.WriteAllText(Path.Combine(folder, ConfigFileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Loads a folder written by <see cref="WriteFiles"/> (the folder <c>dpbert exits</c> writes).</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it and the command that makes it.</exception>
    /// <exception cref="InvalidDataException">The settings are malformed; the message names the file and value.</exception>
    public static (LoadedModel Backbone, EarlyExitClassifier Classifier) Load(string folder)
    {
        string configPath = Path.Combine(folder, ConfigFileName), headsPath = Path.Combine(folder, HeadsFileName);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{folder}: {ConfigFileName} not found (train exit heads with `dpbert exits`)", configPath);
        if (!File.Exists(headsPath)) throw new FileNotFoundException($"{folder}: {HeadsFileName} not found", headsPath);
        string? name;
        TokenPooling input;
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(configPath));
            name = json?["method"]?.GetValue<string>();
            // Folders written before the choice existed have no key: their heads read [CLS].
            try { input = json?["head_input"] is { } pooling ? TokenPoolings.Parse(pooling.GetValue<string>()) : TokenPooling.Cls; }
            catch (ArgumentException e) { throw new InvalidDataException($"head_input: {e.Message}", e); }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or InvalidDataException)
        {
            throw new InvalidDataException($"{configPath}: {e.Message}", e);
        }
        var method = ParseMethod(name ?? throw new InvalidDataException($"{configPath}: no \"method\""), configPath);
        var backbone = ModelFolder.LoadSequenceClassifier(folder);
        var heads = new ExitHeads(backbone.Model, method, input);
        ParameterCheckpoint.Load(heads.Parameters, headsPath);
        heads.Parameters.MarkChanged();
        return (backbone, new EarlyExitClassifier(backbone.Model, heads));
    }

    /// <summary>The method's name in files and on the command line.</summary>
    public static string MethodName(EarlyExitMethod method) => method == EarlyExitMethod.DeeBert ? "deebert" : "pabee";

    /// <summary>Parses <c>deebert</c> or <c>pabee</c>.</summary>
    /// <exception cref="InvalidDataException">Another name; the message names <paramref name="source"/>.</exception>
    public static EarlyExitMethod ParseMethod(string name, string source) => name.ToLowerInvariant() switch
    {
        "deebert" => EarlyExitMethod.DeeBert,
        "pabee" => EarlyExitMethod.Pabee,
        _ => throw new InvalidDataException($"{source}: early-exit method \"{name}\" is not deebert or pabee"),
    };
}
