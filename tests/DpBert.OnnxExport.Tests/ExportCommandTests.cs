using DpBert.Bert;
using DpBert.Cli;
using DpBert.Planning;

namespace DpBert.OnnxExport.Tests;

/// <summary>
/// <c>dpbert export onnx</c> end to end, and its errors: each names what is wrong and leaves no file behind (nor a
/// temporary one), and an existing file at the output path is kept as it was.
/// </summary>
[Collection(TrainedDpBertCollection.Name)]
public class ExportCommandTests(TrainedDpBertFixture model)
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    [Fact]
    public void Exports_the_full_model_and_dpbert_with_the_default_theta_and_opset()
    {
        using var temp = new TempFolder();
        var (code, stdout, stderr) = Run("export", "onnx", "--model", model.ModelFolder, "--output", temp.File("full.onnx"));
        Assert.True(code == 0, stderr);
        Assert.Contains("full model written to", stdout);
        Assert.Contains("opset 17", stdout);
        Assert.DoesNotContain("NonZero", stdout);

        (code, stdout, stderr) = Run("export", "onnx", "--model", model.ModelFolder, "--dpbert", model.DpBertFolderPath, "--output", temp.File("dpbert.onnx"),
            "--theta", "0.7", "--opset", "21");
        Assert.True(code == 0, stderr);
        Assert.Contains("theta defaults to 0.7", stdout);
        Assert.Contains("outputs: logits, plan, layer_probabilities", stdout);
        Assert.Contains("NonZero, Reshape, ScatterND", stdout);
        Assert.Equal(["dpbert.onnx", "full.onnx"], Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order());

        // The default theta is the one exported: no theta input gives the core engine's plans at 0.7.
        using var ort = new OrtModel(temp.File("dpbert.onnx"));
        var batch = model.Dev.Batch(Enumerable.Range(0, 32).ToArray(), model.Full.Config.PadTokenId);
        var (_, flags) = ort.Run(batch);
        Assert.Equal(model.DpBert.Predict(batch, 0.7).Select(p => p.Plan), DpBertParityTests.Plans(flags!, 32, model.DpBert.Model.Config.NumHiddenLayers));
        Assert.True(ort.Session.ModelMetadata.CustomMetadataMap.TryGetValue("theta", out var exportedTheta));
        Assert.Equal("0.7", exportedTheta);
    }

    [Fact]
    public void A_planner_that_does_not_fit_its_backbone_is_named_and_nothing_is_written()
    {
        using var temp = new TempFolder();
        string dp = Path.Combine(temp.Path, "dpbert");
        CopyFolder(model.DpBertFolderPath, dp);
        // The planner was trained with one always-run layer (3 planned layers); claim two.
        File.WriteAllText(Path.Combine(dp, DpBertFolder.ConfigFileName), "{\"always_run_layers\": 2}");
        string output = temp.File("model.onnx");
        File.WriteAllText(output, "the previous export");
        var (code, _, stderr) = Run("export", "onnx", "--model", model.ModelFolder, "--dpbert", dp, "--output", output);
        Assert.Equal(1, code);
        Assert.Contains("the planner does not match the backbone", stderr);
        Assert.Contains("planner.output.weight", stderr);
        Assert.Equal("the previous export", File.ReadAllText(output));
        Assert.Equal(["dpbert", "model.onnx"], Directory.EnumerateFileSystemEntries(temp.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_dpbert_folder_of_another_model_is_named()
    {
        using var temp = new TempFolder();
        var (code, _, stderr) = Run("export", "onnx", "--model", SharedFiles.GoldenModelFolder, "--dpbert", model.DpBertFolderPath, "--output", temp.File("m.onnx"));
        Assert.Equal(1, code);
        Assert.Contains("was not trained on --model", stderr);
        Assert.Contains("num_hidden_layers 4 (the model has 2)", stderr);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void The_library_refuses_a_planner_made_for_another_backbone()
    {
        var planner = new PlanningModule(model.Full.Config with { NumHiddenLayers = 6 }, 1);
        var e = Assert.Throws<ArgumentException>(() => BertOnnxExporter.BuildDpBert(model.Full.Model, planner));
        Assert.Contains("plans 5 layers after 1 always-run layers (6 in all), the backbone has 4", e.Message);
        var narrow = new PlanningModule(model.Full.Config with { HiddenSize = 64, NumAttentionHeads = 2 }, 1);
        e = Assert.Throws<ArgumentException>(() => BertOnnxExporter.BuildDpBert(model.Full.Model, narrow));
        Assert.Contains("planner.hidden.weight is [16, 64]", e.Message);
    }

    [Theory]
    [InlineData("hidden_act", "\"gelu_new\"", "\"hidden_act\" = gelu_new")]
    [InlineData("position_embedding_type", "\"relative_key\"", "\"position_embedding_type\" = relative_key")]
    public void An_unsupported_configuration_is_named(string key, string value, string message)
    {
        using var temp = new TempFolder();
        string folder = Path.Combine(temp.Path, "model");
        CopyFolder(SharedFiles.GoldenModelFolder, folder);
        string config = Path.Combine(folder, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace($"\"{key}\": \"{(key == "hidden_act" ? "gelu" : "absolute")}\"", $"\"{key}\": {value}"));
        var (code, _, stderr) = Run("export", "onnx", "--model", folder, "--output", temp.File("m.onnx"));
        Assert.Equal(1, code);
        Assert.Contains(message, stderr);
        Assert.False(File.Exists(temp.File("m.onnx")));
    }

    [Fact]
    public void Exports_heads_that_read_the_mean_as_their_folder_says()
    {
        using var temp = new TempFolder();
        foreach (string method in new[] { "deebert", "pabee" })
        {
            var (code, _, stderr) = Run("export", "onnx", "--model", model.MeanModelFolder, "--method", method, "--output", temp.File(method + ".onnx"));
            Assert.True(code == 0, stderr);
            var classifier = EarlyExit.EarlyExitFolder.Load(Path.Combine(model.MeanModelFolder, method)).Classifier;
            Assert.Equal(Bert.TokenPooling.Mean, classifier.Heads.Input);
            using var ort = new OrtModel(temp.File(method + ".onnx"));
            double knob = method == "deebert" ? 0.5 : 2;
            var batch = model.Dev.Batch(Enumerable.Range(0, 64).ToArray(), model.MeanFull.Config.PadTokenId);
            var expected = classifier.Classify(batch, knob);
            var (logits, flags) = ort.Run(batch, knob: (method, knob));
            Assert.Equal(expected.Plans, DpBertParityTests.Plans(flags!, batch.BatchSize, classifier.Model.Config.NumHiddenLayers));
            Assert.True(DpBertParityTests.MaxAbsDiff(expected.Logits, logits) < 1e-4, method);
        }
    }

    [Fact]
    public void Exports_early_exit_models_and_names_bad_options()
    {
        using var temp = new TempFolder();
        string[] common = ["export", "onnx", "--model", model.ModelFolder, "--output", temp.File("m.onnx")];
        var (code, stdout, stderr) = Run([.. common, "--method", "pabee", "--patience", "3"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("inputs: input_ids, attention_mask, token_type_ids, patience (patience defaults to 3)", stdout);
        Assert.Contains("outputs: logits, plan", stdout);
        (code, stdout, stderr) = Run([.. common, "--method", "deebert", "--exits", model.ExitsFolder("deebert"), "--entropy", "0.25"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("entropy defaults to 0.25", stdout);
        Assert.Contains("LogSoftmax", stdout);
        File.Delete(temp.File("m.onnx"));

        Assert.Contains("holds pabee heads, not deebert", Run([.. common, "--method", "deebert", "--exits", model.ExitsFolder("pabee")]).Err);
        Assert.Contains("--exits belongs to --method deebert|pabee", Run([.. common, "--exits", model.ExitsFolder("pabee")]).Err);
        Assert.Contains("dpbert exits --method deebert", Run("export", "onnx", "--model", SharedFiles.GoldenModelFolder, "--method", "deebert", "--output", temp.File("m.onnx")).Err);
        Assert.Contains("--opset 12 is not supported: the exporter writes opsets 17 to 21", Run([.. common, "--opset", "12"]).Err);
        Assert.Contains("--theta 1 must be in (0, 1)", Run([.. common, "--dpbert", model.DpBertFolderPath, "--theta", "1"]).Err);
        Assert.Contains("--patience 0 must be >= 1", Run([.. common, "--method", "pabee", "--patience", "0"]).Err);
        Assert.Contains("--method \"early\" is unknown", Run([.. common, "--method", "early"]).Err);
        Assert.Contains("dpbert plan --model", Run("export", "onnx", "--model", SharedFiles.GoldenModelFolder, "--method", "dpbert", "--output", temp.File("m.onnx")).Err);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void An_unwritable_output_path_is_named_and_leaves_nothing()
    {
        using var temp = new TempFolder();
        string missing = Path.Combine(temp.Path, "no", "such", "folder", "m.onnx");
        var (code, _, stderr) = Run("export", "onnx", "--model", SharedFiles.GoldenModelFolder, "--output", missing);
        Assert.Equal(1, code);
        Assert.Contains($"{missing}: folder", stderr);
        Assert.Contains("does not exist", stderr);
        (code, _, stderr) = Run("export", "onnx", "--model", SharedFiles.GoldenModelFolder, "--output", temp.Path);
        Assert.Equal(1, code);
        Assert.Contains("is a folder", stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public void A_write_that_fails_midway_removes_its_temporary_file_and_keeps_the_old_one()
    {
        using var temp = new TempFolder();
        string target = temp.File("m.onnx");
        File.WriteAllText(target, "old");
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(target, stream =>
        {
            stream.Write(new byte[1000]);
            throw new IOException("disk full");
        }));
        Assert.Contains(target, e.Message);
        Assert.Contains("disk full", e.Message);
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal(["m.onnx"], Directory.GetFiles(temp.Path).Select(Path.GetFileName));
    }
}
