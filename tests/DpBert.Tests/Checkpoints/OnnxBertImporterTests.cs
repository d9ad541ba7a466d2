using DpBert.Checkpoints;
using DpBert.Checkpoints.Onnx;
using Google.Protobuf;
using Onnx;

namespace DpBert.Tests.Checkpoints;

/// <summary>
/// The importer on the two NuGet-served exports (old-style node names with a pooler; scoped names without), and on
/// copies of MiniLM's graph broken on purpose: each break must be reported by naming the node or initializer at fault.
/// </summary>
public sealed class OnnxBertImporterTests
{
    private static ModelProto LoadMiniLm() => ModelProto.Parser.ParseFrom(File.ReadAllBytes(NuGetModelFiles.Files(NuGetModelFiles.MiniLm).Onnx));

    [Theory]
    [InlineData(NuGetModelFiles.MiniLm, true)]
    [InlineData(NuGetModelFiles.ArcticXs, false)]
    public void ConfigIsReadOffTheGraph(string packageId, bool hasPooler)
    {
        var import = OnnxBertImporter.Read(NuGetModelFiles.Files(packageId).Onnx);
        var c = import.Config;
        // all-MiniLM-L6-v2 and arctic-embed-xs: both MiniLM-L6-H384 shaped (their Hugging Face config.json files say the same).
        Assert.Equal((6, 384, 12, 1536, 30522, 512, 2), (c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize, c.VocabSize, c.MaxPositionEmbeddings, c.TypeVocabSize));
        Assert.Equal(1e-12f, c.LayerNormEps);
        Assert.Equal("gelu", c.HiddenAct);
        Assert.Equal(hasPooler, import.PoolerInGraph);
    }

    [Fact]
    public void AnonymousLinearWeightsAreFoundThroughTheirMatMulAndTransposed()
    {
        var model = LoadMiniLm();
        var import = OnnxBertImporter.Read(model, "MiniLM");
        // MatMul_34 reads the embedding output and initializer 927; Add_35 adds encoder.layer.0.attention.self.query.bias.
        var matMul = model.Graph.Node.Single(n => n.Name == "MatMul_34");
        Assert.Equal("encoder.layer.0.attention.self.query.bias", model.Graph.Node.Single(n => n.Name == "Add_35").Input[0]);
        var stored = model.Graph.Initializer.Single(t => t.Name == matMul.Input[1]); // (in, out) = (384, 384)
        float[] values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(stored.RawData.Span).ToArray();
        var query = import.Parameters.Span("encoder.layer.0.attention.self.query.weight"); // Hugging Face (out, in)
        foreach (var (i, o) in new[] { (0, 1), (5, 300), (383, 17) })
            Assert.Equal(values[i * 384 + o], query[o * 384 + i]);
    }

    [Fact]
    public void ExportWithoutPoolerGetsOneInitialisedAsHuggingFaceDoes()
    {
        var import = OnnxBertImporter.Read(NuGetModelFiles.Files(NuGetModelFiles.ArcticXs).Onnx);
        var weight = import.Parameters.Span("pooler.dense.weight").ToArray();
        double mean = weight.Average(v => (double)v), std = Math.Sqrt(weight.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(std, 0.019, 0.021); // normal(0, initializer_range = 0.02)
        Assert.All(import.Parameters.Span("pooler.dense.bias").ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains(import.Notes, n => n.Contains("no pooler", StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownNodeIsNamed()
    {
        var model = LoadMiniLm();
        model.Graph.Node.Add(new NodeProto { Name = "Mystery_7", OpType = "Conv", Input = { "146" }, Output = { "mystery" } });
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(model, "MiniLM"));
        Assert.Contains("node \"Mystery_7\" (Conv)", e.Message);
    }

    [Fact]
    public void MissingNamedInitializerIsNamed()
    {
        var model = LoadMiniLm();
        Remove(model, "encoder.layer.2.attention.output.LayerNorm.weight");
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(model, "MiniLM"));
        Assert.Contains("no initializer holds encoder.layer.2.attention.output.LayerNorm.weight [384]", e.Message);
    }

    [Fact]
    public void LinearWeightWhoseBiasIsMissingIsNamed()
    {
        var model = LoadMiniLm();
        string weight = model.Graph.Node.Single(n => n.Name == "MatMul_34").Input[1];
        Remove(model, "encoder.layer.0.attention.self.query.bias");
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(model, "MiniLM"));
        Assert.Contains($"initializer \"{weight}\"", e.Message);
        Assert.Contains("node \"MatMul_34\" (MatMul)", e.Message);
    }

    [Fact]
    public void WrongShapeIsNamedWithBothShapes()
    {
        var model = LoadMiniLm();
        var bias = model.Graph.Initializer.Single(t => t.Name == "encoder.layer.1.intermediate.dense.bias");
        bias.Dims[0] = 1535;
        bias.RawData = ByteString.CopyFrom(bias.RawData.Span[..(1535 * 4)]);
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(model, "MiniLM"));
        Assert.Contains("initializer \"encoder.layer.1.intermediate.dense.bias\" has shape [1535], but encoder.layer.1.intermediate.dense.bias of this model is [1536]", e.Message);
    }

    // Found while writing the onnx-model fuzz target: the parameters were allocated from the shapes before any tensor's
    // data was looked at, so a small file whose shapes announce a large model made the importer allocate that model.
    [Fact]
    public void ShapeThatAnnouncesMoreThanTheDataHoldsIsRefusedBeforeAnythingIsAllocated()
    {
        var model = LoadMiniLm();
        var word = model.Graph.Initializer.Single(t => t.Name == "embeddings.word_embeddings.weight");
        word.RawData = ByteString.CopyFrom(word.RawData.Span[..100]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(model, "MiniLM"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("tensor \"embeddings.word_embeddings.weight\" [30522, 384] (11720448 elements) holds 100 bytes of raw data", e.Message);
        Assert.InRange(allocated, 0, 16L << 20); // the model's parameters alone are 22.7 million floats (91 MB)
    }

    // Found while writing the onnx-model fuzz target: dimensions whose product overflows 64 bits threw OverflowException,
    // and a layer index beyond int (encoder.layer.99999999999.) threw it from int.Parse.
    [Fact]
    public void DimensionsWhoseProductOverflowsAreRefusedNamingTheTensor()
    {
        var model = LoadMiniLm();
        var bias = model.Graph.Initializer.Single(t => t.Name == "encoder.layer.1.intermediate.dense.bias");
        bias.Dims.Clear();
        bias.Dims.Add([1L << 40, 1L << 40]);
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(model, "MiniLM"));
        Assert.Contains("encoder.layer.1.intermediate.dense.bias", e.Message);
    }

    [Fact]
    public void LayerIndexBeyondIntIsNamedAsNotAWeightOfTheModel()
    {
        var model = LoadMiniLm();
        model.Graph.Initializer.Single(t => t.Name == "encoder.layer.5.output.LayerNorm.bias").Name = "encoder.layer.99999999999.output.LayerNorm.bias";
        foreach (var node in model.Graph.Node)
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == "encoder.layer.5.output.LayerNorm.bias") node.Input[i] = "encoder.layer.99999999999.output.LayerNorm.bias";
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(model, "MiniLM"));
        Assert.Contains("encoder.layer.99999999999.output.LayerNorm.bias", e.Message);
    }

    // Found by the onnx-model fuzz campaign: nodes with fewer inputs or outputs than their operator has were indexed
    // past their end (ArgumentOutOfRangeException from the epsilon, head and bias searches).
    [Theory]
    [InlineData("Div_337", 1, 1, "node \"Div_337\" (Div) has 1 input and 1 output; Div takes at least 2")]
    [InlineData("Reshape_484", 1, 1, "node \"Reshape_484\" (Reshape) has 1 input and 1 output; Reshape takes at least 2")]
    [InlineData("MatMul_546", 2, 0, "node \"MatMul_546\" (MatMul) has 2 inputs and 0 outputs")]
    public void NodeWithTooFewInputsOrOutputsIsNamed(string name, int inputs, int outputs, string expected)
    {
        var model = LoadMiniLm();
        var node = model.Graph.Node.Single(n => n.Name == name);
        while (node.Input.Count > inputs) node.Input.RemoveAt(node.Input.Count - 1);
        while (node.Output.Count > outputs) node.Output.RemoveAt(node.Output.Count - 1);
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(model, "MiniLM"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void HeadCountThatDoesNotMakeTheHiddenSizeNamesTheReshape()
    {
        var model = LoadMiniLm();
        // Concat_48 builds layer 0's key reshape (batch, seq, heads, head_size) from two dynamic sizes and initializers for 12 and 32.
        var concat = model.Graph.Node.Single(n => n.Name == "Concat_48");
        var heads = model.Graph.Initializer.Single(t => t.Name == concat.Input[2]);
        Assert.Equal(12L, BitConverter.ToInt64(heads.RawData.Span));
        heads.RawData = ByteString.CopyFrom(BitConverter.GetBytes(16L));
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(model, "MiniLM"));
        Assert.Contains("node \"Reshape_49\" (Reshape): 16 heads of size 32 do not make the hidden size 384", e.Message);
    }

    // Found by the onnx-model fuzz campaign: (2^59 + 12) heads of size 32 wrap around to 384 in 64 bits, passed the check,
    // and the head count then overflowed int (OverflowException).
    [Fact]
    public void HeadCountWhoseProductWrapsAroundIsNamed()
    {
        var model = LoadMiniLm();
        var concat = model.Graph.Node.Single(n => n.Name == "Concat_48");
        var heads = model.Graph.Initializer.Single(t => t.Name == concat.Input[2]);
        heads.RawData = ByteString.CopyFrom(BitConverter.GetBytes((1L << 59) + 12));
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(model, "MiniLM"));
        Assert.Contains($"node \"Reshape_49\" (Reshape): {(1L << 59) + 12} heads of size 32 do not make the hidden size 384", e.Message);
    }

    [Fact]
    public void ActivationOtherThanErfGeluIsNamed()
    {
        var model = LoadMiniLm();
        foreach (var erf in model.Graph.Node.Where(n => n.OpType == "Erf")) erf.OpType = "Tanh";
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(model, "MiniLM"));
        Assert.Contains("node \"Add_113\" (Add)", e.Message); // the intermediate dense of layer 0
        Assert.Contains("not the exact erf GELU", e.Message);
    }

    [Fact]
    public void NotAnOnnxFileIsReportedWithItsPath()
    {
        using var temp = new TempFolder();
        string path = temp.File("model.onnx");
        File.WriteAllBytes(path, [0xff, 0xff, 0xff, 0x07, 1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => OnnxBertImporter.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void FailedImportLeavesThePreviousFolderAsItWas()
    {
        using var temp = new TempFolder();
        var (onnx, vocab) = NuGetModelFiles.Files(NuGetModelFiles.MiniLm);
        string folder = temp.File("model");
        OnnxBertImporter.ImportToFolder(onnx, vocab, folder);
        byte[] before = File.ReadAllBytes(Path.Combine(folder, ModelFolder.WeightsFileName));

        var broken = LoadMiniLm();
        Remove(broken, "encoder.layer.5.output.dense.bias");
        string brokenPath = temp.File("broken.onnx");
        File.WriteAllBytes(brokenPath, broken.ToByteArray());
        Assert.Throws<InvalidDataException>(() => OnnxBertImporter.ImportToFolder(brokenPath, vocab, folder));

        Assert.Equal(before, File.ReadAllBytes(Path.Combine(folder, ModelFolder.WeightsFileName)));
        Assert.Empty(Directory.GetDirectories(temp.Path, ".model.*")); // no temporary folder left behind
    }

    [Fact]
    public void ImportedFolderLoadsAsAClassifierToFineTune()
    {
        string folder = NuGetModelFiles.ImportedFolder(NuGetModelFiles.MiniLm);
        var init = DpBert.Training.ModelInitialization.ForSequenceClassification(folder, ["negative", "positive"], null, new DpBert.Training.TrainingOptions());
        Assert.Contains(init.Notes, n => n.Contains("classifier.weight", StringComparison.Ordinal) && !n.Contains("pooler", StringComparison.Ordinal));
        Assert.True(init.Tokenizer.Options.DoLowerCase); // an uncased vocabulary
        Assert.Equal(["[CLS]", "a", "man", "[SEP]"], init.Tokenizer.Encode("A MAN").Tokens);
    }

    private static void Remove(ModelProto model, string initializer) =>
        Assert.True(model.Graph.Initializer.Remove(model.Graph.Initializer.Single(t => t.Name == initializer)));
}
