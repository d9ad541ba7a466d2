using DpBert.Bert;
using DpBert.Checkpoints;

namespace DpBert.Tests.Checkpoints;

public sealed class PyTorchCheckpointTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static BertConfig Small => SmallCheckpointModel.Config;

    private static float[] Values(int count, float start = 0.25f) => Enumerable.Range(0, count).Select(i => start + i / 64f).ToArray();

    private string Save(TorchZipBuilder builder)
    {
        string path = _temp.File(Guid.NewGuid().ToString("N") + ".bin");
        builder.Save(path);
        return path;
    }

    /// <summary>A .bin holding <paramref name="layout"/> with every key renamed (null drops it), values 0.25 + i/64 per tensor.</summary>
    private string SaveLayout(IEnumerable<(string Name, int[] Shape)> layout, Func<string, string?> rename, Action<TorchZipBuilder>? addMore = null)
    {
        var builder = new TorchZipBuilder();
        foreach (var (name, shape) in layout)
        {
            string? key = rename(name);
            if (key is null) continue;
            long[] dims = Array.ConvertAll(shape, d => (long)d);
            builder.AddFloat32(key, dims, Values(shape.Aggregate(1, (a, b) => a * b)));
        }
        addMore?.Invoke(builder);
        return Save(builder);
    }

    [Fact]
    public void GoldenPytorchBinLoadsBitForBitAsTheSafetensors()
    {
        var config = BertConfig.Load(GoldenFiles.TinyConfig);
        var fromSafetensors = BertForSequenceClassification.CreateEmpty(config).Parameters;
        var fromBin = BertForSequenceClassification.CreateEmpty(config).Parameters;
        ParameterCheckpoint.Load(fromSafetensors, GoldenFiles.TinyModel);
        var report = ParameterCheckpoint.Load(fromBin, Path.Combine(GoldenFiles.TinyModelFolder, "pytorch_model.bin"));

        Assert.Equal(fromSafetensors.Parameters.Count, report.Loaded.Count);
        Assert.Empty(report.Renamed);
        Assert.Equal(fromSafetensors.Data.Select(BitConverter.SingleToInt32Bits), fromBin.Data.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void GoldenPytorchBinListsTheSafetensorsTensors()
    {
        using var bin = CheckpointFile.Open(Path.Combine(GoldenFiles.TinyModelFolder, "pytorch_model.bin"));
        using var safetensors = SafetensorsFile.Open(GoldenFiles.TinyModel);
        Assert.IsType<PyTorchCheckpointFile>(bin);
        Assert.Equal(safetensors.Tensors.Select(t => (t.Name, t.ShapeText, t.Dtype)).Order(), bin.Tensors.Select(t => (t.Name, t.ShapeText, t.Dtype)).Order());
    }

    [Fact]
    public void GoldenModelFolderLoadsFromPytorchBinWhenSafetensorsIsAbsent()
    {
        foreach (string name in new[] { "config.json", "vocab.txt", "tokenizer_config.json", "pytorch_model.bin" })
            File.Copy(Path.Combine(GoldenFiles.TinyModelFolder, name), _temp.File(name));
        var loaded = ModelFolder.LoadSequenceClassifier(_temp.Path);
        var reference = ModelFolder.LoadSequenceClassifier(GoldenFiles.TinyModelFolder);
        Assert.EndsWith("pytorch_model.bin", loaded.LoadReport.Path, StringComparison.Ordinal);
        Assert.Equal(reference.Model.Parameters.Data, loaded.Model.Parameters.Data);
    }

    [Fact]
    public void LegacyFormatOfTheGoldenModelLoadsBitForBitAsTheSafetensors()
    {
        // The golden weights rewritten in the pre-1.6 torch.save format, as many hub checkpoints still are.
        var builder = new TorchZipBuilder();
        using (var safetensors = SafetensorsFile.Open(GoldenFiles.TinyModel))
            foreach (var t in safetensors.Tensors)
                builder.AddFloat32(t.Name, [.. t.Shape], safetensors.ReadFloat32(t.Name));
        string path = _temp.File("legacy.bin");
        builder.SaveLegacy(path);

        var config = BertConfig.Load(GoldenFiles.TinyConfig);
        var fromSafetensors = BertForSequenceClassification.CreateEmpty(config).Parameters;
        var fromLegacy = BertForSequenceClassification.CreateEmpty(config).Parameters;
        ParameterCheckpoint.Load(fromSafetensors, GoldenFiles.TinyModel);
        ParameterCheckpoint.Load(fromLegacy, path);
        Assert.Equal(fromSafetensors.Data.Select(BitConverter.SingleToInt32Bits), fromLegacy.Data.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void TruncatedLegacyFileIsRefused()
    {
        var builder = new TorchZipBuilder().AddFloat32("a", [4], [1, 2, 3, 4]).AddFloat16("b", [2], [1, 2]);
        string path = _temp.File("truncated.bin");
        builder.SaveLegacy(path, truncateBy: 3);
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpointFile.Open(path));
        Assert.Contains("storage \"1\": 2 torch.HalfStorage elements run past the end of the file (truncated)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Float16AndBFloat16AreWidenedToFloat32()
    {
        float[] values = [0.5f, -1.25f, 3.0f, 65504f, 1e-3f, -0.0f];
        string path = Save(new TorchZipBuilder().AddFloat16("half", [2, 3], values).AddBFloat16("brain", [6], values));
        using var file = PyTorchCheckpointFile.Open(path);
        var half = new float[6];
        var brain = new float[6];
        file.CopyToFloat32("half", half);
        file.CopyToFloat32("brain", brain);
        Assert.Equal(values.Select(v => (float)(Half)v), half);
        Assert.Equal(values.Select(v => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(v) & unchecked((int)0xFFFF0000))), brain);
        Assert.Equal(SafetensorsDtype.F16, file.Tensors[0].Dtype);
        Assert.Equal(SafetensorsDtype.BF16, file.Tensors[1].Dtype);
    }

    [Fact]
    public void StridedViewsAndOffsetsAreGathered()
    {
        // Storage 0..7 as float32; "t" is the transpose of the 2x3 matrix starting at element 2: [[2,3,4],[5,6,7]]^T.
        float[] storage = [0, 1, 2, 3, 4, 5, 6, 7];
        var bytes = storage.SelectMany(BitConverter.GetBytes).ToArray();
        string path = Save(new TorchZipBuilder().AddRaw("t", "FloatStorage", 4, bytes, [3, 2], [1, 3], 2, 8).AddRaw("row", "FloatStorage", 4, bytes, [3], [1], 5, 8));
        using var file = PyTorchCheckpointFile.Open(path);
        var t = new float[6];
        file.CopyToFloat32("t", t);
        Assert.Equal([2f, 5f, 3f, 6f, 4f, 7f], t);
        var row = new float[3];
        file.CopyToFloat32("row", row);
        Assert.Equal([5f, 6f, 7f], row);
    }

    [Fact]
    public void BareBertModelKeysWithLegacyLayerNormNamesLoadIntoTheEncoder()
    {
        // A BertModel checkpoint as Google's conversions wrote it: no "bert." prefix, LayerNorm gamma/beta.
        string path = SaveLayout(BertParameterLayout.SequenceClassification(Small), name =>
            name.StartsWith("classifier.", StringComparison.Ordinal) ? null
            : name["bert.".Length..].Replace("LayerNorm.weight", "LayerNorm.gamma", StringComparison.Ordinal).Replace("LayerNorm.bias", "LayerNorm.beta", StringComparison.Ordinal));
        var parameters = new ParameterSet(BertParameterLayout.SequenceClassification(Small));
        var report = ParameterCheckpoint.Load(parameters, path, ParameterLoadOptions.NewClassifierHead);
        Assert.Equal(["classifier.weight", "classifier.bias"], report.Missing);
        Assert.Equal("bert.embeddings.LayerNorm.weight", report.Renamed["embeddings.LayerNorm.gamma"]);
        Assert.Equal(Values(4), parameters.Span("bert.embeddings.LayerNorm.weight").ToArray());
    }

    [Fact]
    public void PreTrainingHeadsAreIgnoredForClassificationAndKeptForMaskedLm()
    {
        // BertForPreTraining: the encoder, cls.predictions.* (decoder tied to the embeddings) and cls.seq_relationship.*.
        void Heads(TorchZipBuilder b) => b.AddFloat32("bert.pooler.dense.weight", [4, 4], Values(16)).AddFloat32("bert.pooler.dense.bias", [4], Values(4))
            .AddFloat32("cls.predictions.decoder.weight", [10, 4], Values(40))
            .AddFloat32("cls.seq_relationship.weight", [2, 4], Values(8)).AddFloat32("cls.seq_relationship.bias", [2], Values(2));
        string path = SaveLayout(BertParameterLayout.MaskedLanguageModel(Small), name => name, Heads);

        var classifier = new ParameterSet(BertParameterLayout.SequenceClassification(Small));
        var classifierReport = ParameterCheckpoint.Load(classifier, path, ParameterLoadOptions.NewClassifierHead);
        Assert.Contains("cls.predictions.transform.dense.weight", classifierReport.Ignored);
        Assert.Contains("cls.seq_relationship.weight", classifierReport.Ignored);

        var mlm = BertForMaskedLM.CreateEmpty(Small).Parameters;
        var mlmReport = ParameterCheckpoint.Load(mlm, path, ParameterLoadOptions.MaskedLanguageModel);
        Assert.Contains("cls.predictions.transform.dense.weight", mlmReport.Loaded);
        Assert.Contains("cls.predictions.bias", mlmReport.Loaded);
        Assert.Equal(["bert.pooler.dense.bias", "bert.pooler.dense.weight", "cls.predictions.decoder.weight", "cls.seq_relationship.bias", "cls.seq_relationship.weight"],
            mlmReport.Ignored.Order());
        Assert.Equal(Values(10), mlm.Span("cls.predictions.bias").ToArray());
    }

    [Fact]
    public void ZipWithoutDataPklIsRefused()
    {
        string path = Save(new TorchZipBuilder { OmitPickle = true }.AddFloat32("x", [2], [1, 2]));
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpointFile.Open(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("no data.pkl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOpcodeIsNamedWithItsOffset()
    {
        // PROTO 2, EMPTY_DICT, then 'i' (INST, which would import and call) at byte 3.
        string path = Save(new TorchZipBuilder { PickleOverride = [0x80, 2, (byte)'}', (byte)'i', (byte)'.'] });
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpointFile.Open(path));
        Assert.Contains("byte 3: opcode 0x69 ('i')", error.Message, StringComparison.Ordinal);
        Assert.Contains("archive/data.pkl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForbiddenGlobalIsRefusedBeforeAnythingRuns()
    {
        string marker = _temp.File("pwned");
        var pickle = new PickleWriter().Proto(2).Global("os", "system").Op('(').Unicode($"touch {marker}").Op('t').Op('R').Op('.').ToArray();
        string path = Save(new TorchZipBuilder { PickleOverride = pickle });
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpointFile.Open(path));
        Assert.Contains("global \"os.system\" is not allowed", error.Message, StringComparison.Ordinal);
        Assert.Contains("byte 2", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void AllowedGlobalCalledWithTheWrongArgumentsIsRefused()
    {
        var pickle = new PickleWriter().Proto(2).Global("collections", "OrderedDict").Op('(').Unicode("x").Op('t').Op('R').Op('.').ToArray();
        string path = Save(new TorchZipBuilder { PickleOverride = pickle });
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpointFile.Open(path));
        Assert.Contains("REDUCE collections.OrderedDict with 1 arguments", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StorageShorterThanItsTensorIsRefused()
    {
        // The persistent id claims 6 elements but the entry holds 4 floats.
        var bytes = new float[] { 1, 2, 3, 4 }.SelectMany(BitConverter.GetBytes).ToArray();
        string shortEntry = Save(new TorchZipBuilder().AddRaw("bert.pooler.dense.weight", "FloatStorage", 4, bytes, [2, 3], [3, 1], 0, 6));
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpointFile.Open(shortEntry));
        Assert.Contains("tensor \"bert.pooler.dense.weight\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("holds 16 bytes", error.Message, StringComparison.Ordinal);

        // The storage is whole but the view reaches past it.
        string pastEnd = Save(new TorchZipBuilder().AddRaw("w", "FloatStorage", 4, bytes, [2, 3], [3, 1], 0, 4));
        error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpointFile.Open(pastEnd));
        Assert.Contains("tensor \"w\" [2, 3] at offset 0 reaches element 5 of storage \"0\", which has only 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AbsurdShapesAreRefusedNotOverflowed()
    {
        var bytes = new float[] { 1, 2 }.SelectMany(BitConverter.GetBytes).ToArray();
        string path = Save(new TorchZipBuilder().AddRaw("w", "FloatStorage", 4, bytes, [int.MaxValue, int.MaxValue, int.MaxValue], [1, 1, 1], 0, 2));
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpointFile.Open(path));
        Assert.Contains("tensor \"w\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonZipAndLegacyFilesAreRefusedByName()
    {
        string garbage = _temp.File("garbage.bin");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5]);
        var error = Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(garbage));
        Assert.Contains("not a zip archive, nor a legacy torch.save pickle", error.Message, StringComparison.Ordinal);

        string legacy = _temp.File("legacy.bin");
        File.WriteAllBytes(legacy, [0x80, 2, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x18, 0x2e]); // magic off by one bit
        error = Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(legacy));
        Assert.Contains("a pickle, but not a torch.save file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedPickleIsRefused()
    {
        string path = Save(new TorchZipBuilder { PickleOverride = [0x80, 2, (byte)'}', (byte)'X', 9, 0] });
        var error = Assert.Throws<InvalidDataException>(() => PyTorchCheckpointFile.Open(path));
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassifierOfAnotherLabelCountIsSkippedWhenAllowed()
    {
        var two = Small with { NumLabelsValue = 2 };
        string path = SaveLayout(BertParameterLayout.SequenceClassification(two), name => name);
        var three = new ParameterSet(BertParameterLayout.SequenceClassification(Small));
        var strict = Assert.Throws<InvalidDataException>(() => ParameterCheckpoint.Load(three, path));
        Assert.Contains("classifier.weight", strict.Message, StringComparison.Ordinal);

        var report = ParameterCheckpoint.Load(three, path, new ParameterLoadOptions { AllowShapeMismatch = k => k.StartsWith("classifier.", StringComparison.Ordinal) });
        Assert.Equal(["classifier.weight", "classifier.bias"], report.Missing);
        Assert.Contains("classifier.weight: [2, 4] in the checkpoint, [3, 4] in the model", report.ShapeMismatches);
    }
}
