using System.CommandLine;
using System.Globalization;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.OnnxExport;
using DpBert.Planning;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert export onnx --model &lt;fine-tuned folder&gt; [--dpbert &lt;planned folder&gt;] --output model.onnx [--opset N] [--theta T]</c>:
/// writes a self-contained ONNX model of the full classifier or, with <c>--dpbert</c>, of DPBERT with real per-row
/// layer skipping (see <see cref="BertOnnxExporter"/>).
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Folder (or hub id) of the model fine-tuned at full depth.", Required = true };
        var dpbert = new Option<string?>("--dpbert") { Description = "DPBERT folder (from `dpbert plan`) to export with its planner; its jointly trained backbone is exported." };
        var method = new Option<string?>("--method") { Description = "full (default), dpbert (folder <model>/dpbert unless --dpbert), deebert or pabee (not exportable yet)." };
        var exits = new Option<string?>("--exits") { Description = "Early-exit folder for --method deebert|pabee." };
        var output = new Option<string>("--output") { Description = "The ONNX file to write (written to a temporary file, then renamed).", Required = true };
        var opset = new Option<int>("--opset") { Description = $"ONNX opset, {OnnxExportOptions.MinOpset} to {OnnxExportOptions.MaxOpset}.", DefaultValueFactory = _ => OnnxExportOptions.DefaultOpset };
        var theta = new Option<float>("--theta") { Description = "DPBERT: default of the graph's theta input, in (0, 1).", DefaultValueFactory = _ => OnnxExportOptions.DefaultTheta };
        var onnx = new Command("onnx", "Export a model to ONNX for ONNX Runtime: the full classifier, or DPBERT with per-input layer skipping inside the graph.")
        {
            model, dpbert, method, exits, output, opset, theta,
        };
        onnx.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var options = new OnnxExportOptions { Opset = parse.GetValue(opset), Theta = parse.GetValue(theta) };
            options.Validate();
            string modelDir = parse.GetValue(model)!, path = parse.GetValue(output)!;
            string? dpbertDir = parse.GetValue(dpbert);
            string methodName = (parse.GetValue(method) ?? (dpbertDir is null ? "full" : "dpbert")).ToLowerInvariant();
            if (methodName is "deebert" or "pabee")
                throw new CliInputException($"--method {methodName}: exporting early-exit models to ONNX is not supported; export the full model or DPBERT (--dpbert <folder>)");
            if (methodName is not ("full" or "dpbert")) throw new CliInputException($"--method \"{methodName}\" is unknown; use full, dpbert, deebert or pabee");
            if (methodName == "full" && dpbertDir is not null) throw new CliInputException("--dpbert exports DPBERT; drop --method full or --dpbert");
            if (parse.GetValue(exits) is not null) throw new CliInputException("--exits belongs to --method deebert|pabee");
            var built = methodName == "full"
                ? BertOnnxExporter.BuildFull(ModelFolder.LoadSequenceClassifier(modelDir).Model, options)
                : BuildDpBert(modelDir, dpbertDir ?? Path.Combine(modelDir, "dpbert"), options);
            var result = BertOnnxExporter.Save(built, path);
            var c = CultureInfo.InvariantCulture;
            stdout.WriteLine($"{methodName} model written to {result.Path} ({result.Bytes.ToString("N0", c)} bytes, opset {result.Opset})");
            stdout.WriteLine($"inputs: {string.Join(", ", result.Inputs)}{(methodName == "dpbert" ? $" (theta defaults to {options.Theta.ToString(c)})" : "")}");
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
        string modelConfig = Path.Combine(modelDir, ModelFolder.ConfigFileName);
        if (File.Exists(modelConfig))
        {
            var expected = BertConfig.Load(modelConfig);
            var actual = classifier.Model.Config;
            var differences = new (string Key, int Model, int Planned)[]
            {
                ("num_hidden_layers", expected.NumHiddenLayers, actual.NumHiddenLayers), ("hidden_size", expected.HiddenSize, actual.HiddenSize),
                ("num_attention_heads", expected.NumAttentionHeads, actual.NumAttentionHeads), ("intermediate_size", expected.IntermediateSize, actual.IntermediateSize),
                ("vocab_size", expected.VocabSize, actual.VocabSize), ("num_labels", expected.NumLabels, actual.NumLabels),
            }.Where(d => d.Model != d.Planned).Select(d => $"{d.Key} {d.Planned} (the model has {d.Model})").ToList();
            if (differences.Count > 0)
                throw new CliInputException($"--dpbert {dpbertDir} was not trained on --model {modelDir}: its backbone has {string.Join(", ", differences)}");
        }
        return BertOnnxExporter.BuildDpBert(classifier.Model, classifier.Planner, options);
    }
}
