using System.CommandLine;
using System.Globalization;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.EarlyExit;
using DpBert.OnnxExport;
using DpBert.Planning;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert export onnx --model &lt;fine-tuned folder&gt; [--dpbert &lt;planned folder&gt; | --method deebert|pabee --exits &lt;folder&gt;]
/// --output model.onnx [--opset N] [--theta T] [--entropy S] [--patience P]</c>: writes a self-contained ONNX model of the full
/// classifier, of DPBERT with real per-row layer skipping, or of an early-exit baseline (see <see cref="BertOnnxExporter"/>).
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Folder (or hub id) of the model fine-tuned at full depth.", Required = true };
        var dpbert = new Option<string?>("--dpbert") { Description = "DPBERT folder (from `dpbert plan`) to export with its planner; its jointly trained backbone is exported." };
        var method = new Option<string?>("--method") { Description = "full (default), dpbert (folder <model>/dpbert unless --dpbert), deebert or pabee (folder <model>/<method> unless --exits)." };
        var exits = new Option<string?>("--exits") { Description = "Early-exit folder (from `dpbert exits`) for --method deebert|pabee; its backbone is exported." };
        var output = new Option<string>("--output") { Description = "The ONNX file to write (written to a temporary file, then renamed).", Required = true };
        var opset = new Option<int>("--opset") { Description = $"ONNX opset, {OnnxExportOptions.MinOpset} to {OnnxExportOptions.MaxOpset}.", DefaultValueFactory = _ => OnnxExportOptions.DefaultOpset };
        var theta = new Option<float?>("--theta") { Description = "DPBERT: default of the graph's theta input, in (0, 1) (default: dpbert's, 0.5)." };
        var entropy = new Option<float?>("--entropy") { Description = "DeeBERT: default of the graph's entropy input (nats, >= 0; default: deebert's, 0.3)." };
        var patience = new Option<int?>("--patience") { Description = "PABEE: default of the graph's patience input (>= 1; default: pabee's, 2)." };
        var onnx = new Command("onnx", "Export a model to ONNX for ONNX Runtime: the full classifier, DPBERT or an early-exit baseline, with per-input layer skipping inside the graph.")
        {
            model, dpbert, method, exits, output, opset, theta, entropy, patience,
        };
        onnx.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var options = new OnnxExportOptions
            {
                Opset = parse.GetValue(opset), Theta = parse.GetValue(theta), Entropy = parse.GetValue(entropy), Patience = parse.GetValue(patience),
            };
            options.Validate();
            string modelDir = parse.GetValue(model)!, path = parse.GetValue(output)!;
            string? dpbertDir = parse.GetValue(dpbert);
            string methodName = (parse.GetValue(method) ?? (dpbertDir is null ? "full" : "dpbert")).ToLowerInvariant();
            string? exitsDir = parse.GetValue(exits);
            if (methodName is not ("full" or "dpbert" or "deebert" or "pabee")) throw new CliInputException($"--method \"{methodName}\" is unknown; use full, dpbert, deebert or pabee");
            if (methodName != "dpbert" && dpbertDir is not null) throw new CliInputException($"--dpbert exports DPBERT; drop --method {methodName} or --dpbert");
            if (methodName is "full" or "dpbert" && exitsDir is not null) throw new CliInputException("--exits belongs to --method deebert|pabee");
            var built = methodName switch
            {
                "full" => BertOnnxExporter.BuildFull(ModelFolder.LoadSequenceClassifier(modelDir).Model, options),
                "dpbert" => BuildDpBert(modelDir, dpbertDir ?? Path.Combine(modelDir, "dpbert"), options),
                _ => BuildEarlyExit(modelDir, methodName, exitsDir ?? Path.Combine(modelDir, methodName), options),
            };
            var result = BertOnnxExporter.Save(built, path);
            var c = CultureInfo.InvariantCulture;
            stdout.WriteLine($"{methodName} model written to {result.Path} ({result.Bytes.ToString("N0", c)} bytes, opset {result.Opset})");
            string knob = methodName == "full" ? "" : $" ({result.KnobInput} defaults to {result.KnobDefault})";
            stdout.WriteLine($"inputs: {string.Join(", ", result.Inputs)}{knob}");
            stdout.WriteLine($"outputs: {string.Join(", ", result.Outputs)}");
            stdout.WriteLine($"operators ({result.Operators.Count}): {string.Join(", ", result.Operators)}");
            return 0;
        });
        return new Command("export", "Export a model for other runtimes.") { onnx };
    }

    /// <summary>Loads a DPBERT folder, checking that its backbone is the architecture of <paramref name="modelDir"/>.</summary>
    private static Onnx.ModelProto BuildDpBert(string modelDir, string dpbertDir, OnnxExportOptions options)
    {
        if (!Directory.Exists(dpbertDir))
            throw new CliInputException($"dpbert: folder {dpbertDir} not found; train it with `dpbert plan --model {modelDir} ...` or pass --dpbert <folder>");
        DpBertClassifier classifier;
        try { classifier = DpBertFolder.Load(dpbertDir).Classifier; }
        catch (InvalidDataException e) { throw new InvalidDataException($"--dpbert {dpbertDir}: the planner does not match the backbone: {e.Message}", e); }
        CheckSameArchitecture(modelDir, "--dpbert", dpbertDir, classifier.Model.Config);
        return BertOnnxExporter.BuildDpBert(classifier.Model, classifier.Planner, options);
    }

    /// <summary>Loads an early-exit folder of <paramref name="methodName"/>, checking its method and backbone.</summary>
    private static Onnx.ModelProto BuildEarlyExit(string modelDir, string methodName, string exitsDir, OnnxExportOptions options)
    {
        if (!Directory.Exists(exitsDir))
            throw new CliInputException($"{methodName}: folder {exitsDir} not found; train it with `dpbert exits --method {methodName} --model {modelDir} ...` or pass --exits <folder>");
        EarlyExitClassifier classifier;
        try { classifier = EarlyExitFolder.Load(exitsDir).Classifier; }
        catch (InvalidDataException e) { throw new InvalidDataException($"--exits {exitsDir}: the exit heads do not match the backbone: {e.Message}", e); }
        if (EarlyExitFolder.MethodName(classifier.Heads.Method) != methodName)
            throw new CliInputException($"--exits {exitsDir} holds {EarlyExitFolder.MethodName(classifier.Heads.Method)} heads, not {methodName}");
        CheckSameArchitecture(modelDir, "--exits", exitsDir, classifier.Model.Config);
        return BertOnnxExporter.BuildEarlyExit(classifier, options);
    }

    /// <summary>Throws when the backbone of a method folder is not the architecture of the fine-tuned model it should come from.</summary>
    private static void CheckSameArchitecture(string modelDir, string flag, string methodDir, BertConfig actual)
    {
        string modelConfig = Path.Combine(modelDir, ModelFolder.ConfigFileName);
        if (!File.Exists(modelConfig)) return;   // a hub id: nothing local to compare with
        var expected = BertConfig.Load(modelConfig);
        var differences = new (string Key, int Model, int Method)[]
        {
            ("num_hidden_layers", expected.NumHiddenLayers, actual.NumHiddenLayers), ("hidden_size", expected.HiddenSize, actual.HiddenSize),
            ("num_attention_heads", expected.NumAttentionHeads, actual.NumAttentionHeads), ("intermediate_size", expected.IntermediateSize, actual.IntermediateSize),
            ("vocab_size", expected.VocabSize, actual.VocabSize), ("num_labels", expected.NumLabels, actual.NumLabels),
        }.Where(d => d.Model != d.Method).Select(d => $"{d.Key} {d.Method} (the model has {d.Model})").ToList();
        if (differences.Count > 0)
            throw new CliInputException($"{flag} {methodDir} was not trained on --model {modelDir}: its backbone has {string.Join(", ", differences)}");
    }
}
