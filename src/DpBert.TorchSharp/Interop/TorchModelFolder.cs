using DpBert.Checkpoints;
using DpBert.Planning;
using DpBert.Tokenization;
using DpBert.Training;
using DpBert.TorchSharp.Bert;
using DpBert.TorchSharp.Planning;
using TorchSharp;
using static TorchSharp.torch;
using CoreConfig = DpBert.Bert.BertConfig;
using CoreClassifier = DpBert.Bert.BertForSequenceClassification;
using CorePlanner = DpBert.Planning.PlanningModule;

namespace DpBert.TorchSharp.Interop;

/// <summary>A model folder loaded into TorchSharp modules.</summary>
/// <param name="Folder">Where it came from.</param>
/// <param name="Config">Its configuration.</param>
/// <param name="Model">The modules, on the requested device and dtype.</param>
/// <param name="Tokenizer">The folder's tokenizer.</param>
public sealed record TorchLoadedModel(string Folder, CoreConfig Config, BertForSequenceClassification Model, BertTokenizer Tokenizer);

/// <summary>
/// Reads and writes the core engine's model folders with TorchSharp modules, through the core engine's own readers and
/// writers (one format, one implementation): <c>config.json</c>, <c>model.safetensors</c> (or <c>pytorch_model.bin</c>) with
/// Hugging Face keys, the vocabulary, and for DPBERT <c>planner.safetensors</c> and <c>dpbert_config.json</c>
/// (<see cref="DpBertFolder"/>). A folder written here loads in the core engine and the other way round.
/// </summary>
public static class TorchModelFolder
{
    /// <summary>Loads a sequence classifier (folder or Hugging Face model id) onto <paramref name="device"/> in <paramref name="dtype"/> (default float32).</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or does not fit; the message names the file and key.</exception>
    public static TorchLoadedModel LoadSequenceClassifier(string folder, string device = "cpu", ScalarType dtype = ScalarType.Float32)
    {
        var loaded = ModelFolder.LoadSequenceClassifier(folder);
        return new TorchLoadedModel(loaded.Folder, loaded.Config, FromCore(loaded.Model, device, dtype), loaded.Tokenizer);
    }

    /// <summary>A TorchSharp copy of a core-engine model on <paramref name="device"/> in <paramref name="dtype"/>.</summary>
    public static BertForSequenceClassification FromCore(CoreClassifier model, string device = "cpu", ScalarType dtype = ScalarType.Float32)
    {
        var target = TorchSharpRuntime.Initialize(device);
        var module = new BertForSequenceClassification(model.Config);
        ParameterTransfer.CopyFrom(module, model.Parameters);
        module.to(target, dtype);
        return module;
    }

    /// <summary>A core-engine copy of a TorchSharp model (weights as float32).</summary>
    public static CoreClassifier ToCore(BertForSequenceClassification model)
    {
        var core = CoreClassifier.CreateEmpty(model.Config);
        ParameterTransfer.CopyTo(model, core.Parameters);
        return core;
    }

    /// <summary>Writes <paramref name="model"/> as a model folder (atomically), with copies of <paramref name="extraFiles"/>.</summary>
    public static void Save(string folder, BertForSequenceClassification model, BertTokenizer tokenizer, IEnumerable<string>? extraFiles = null)
    {
        var core = ToCore(model);
        WriteAtomically(folder, extraFiles, temp => TrainingCheckpoint.WriteModelFiles(temp, core.Config, core.Parameters, tokenizer));
    }

    /// <summary>Loads a DPBERT folder (backbone and planner) onto <paramref name="device"/>.</summary>
    /// <exception cref="FileNotFoundException">The planner files are missing; the message names the folder and file.</exception>
    public static (DpBertForSequenceClassification Model, BertTokenizer Tokenizer) LoadDpBert(string folder, string device = "cpu", ScalarType dtype = ScalarType.Float32)
    {
        var (backbone, classifier) = DpBertFolder.Load(folder);
        if (classifier.Planner.DepthHeads is not null)
            throw new NotSupportedException($"{folder}: the TorchSharp engine runs plans that share the model's head; this planner has a head per plan length (depth_heads): use the core engine");
        var target = TorchSharpRuntime.Initialize(device);
        var model = new DpBertForSequenceClassification(new BertForSequenceClassification(backbone.Config), new Planning.PlanningModule(backbone.Config, classifier.Planner.AlwaysRunLayers, classifier.Planner.Input));
        ParameterTransfer.CopyFrom(model, backbone.Model.Parameters, classifier.Planner.Parameters);
        model.to(target, dtype);
        return (model, backbone.Tokenizer);
    }

    /// <summary>Core-engine copies of a TorchSharp DPBERT model's backbone and planner.</summary>
    public static (CoreClassifier Backbone, CorePlanner Planner) ToCore(DpBertForSequenceClassification model)
    {
        var backbone = CoreClassifier.CreateEmpty(model.Config);
        var planner = new CorePlanner(model.Config, model.Planner.AlwaysRunLayers, model.Planner.Input);
        ParameterTransfer.CopyTo(model, backbone.Parameters, planner.Parameters);
        return (backbone, planner);
    }

    /// <summary>Writes a DPBERT folder (the core engine's layout) with the knobs of <paramref name="options"/> and copies of <paramref name="extraFiles"/>.</summary>
    public static void SaveDpBert(string folder, DpBertForSequenceClassification model, BertTokenizer tokenizer, PlannerTrainingOptions options, IEnumerable<string>? extraFiles = null)
    {
        var (backbone, planner) = ToCore(model);
        WriteAtomically(folder, extraFiles, temp => DpBertFolder.WriteFiles(temp, backbone, tokenizer, planner, options));
    }

    /// <summary>Writes a whole folder atomically (<see cref="AtomicFolder"/>): the files <paramref name="write"/> makes plus copies of <paramref name="extraFiles"/>.</summary>
    private static void WriteAtomically(string folder, IEnumerable<string>? extraFiles, Action<string> write) =>
        AtomicFolder.Write(folder, temp =>
        {
            foreach (string file in extraFiles ?? []) File.Copy(file, Path.Combine(temp, Path.GetFileName(file)));
            write(temp);
        });
}
