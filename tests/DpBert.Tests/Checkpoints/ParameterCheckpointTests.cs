using System.Buffers.Binary;
using System.Text.Json;
using DpBert.Bert;
using DpBert.Checkpoints;

namespace DpBert.Tests.Checkpoints;

public sealed class ParameterCheckpointTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static BertConfig Small => SmallCheckpointModel.Config;

    private static ParameterSet SmallClassifier(float start = 0.5f)
    {
        var parameters = new ParameterSet(BertParameterLayout.SequenceClassification(Small));
        for (int i = 0; i < parameters.Data.Length; i++) parameters.Data[i] = start + i / 1024f; // distinct, exact in bf16 for small i
        return parameters;
    }

    /// <summary>Saves <paramref name="source"/> with every key passed through <paramref name="rename"/> (null drops it).</summary>
    private string SaveRenamed(ParameterSet source, Func<string, string?> rename, Action<SafetensorsWriter>? addMore = null)
    {
        var writer = new SafetensorsWriter();
        foreach (var p in source.Parameters)
        {
            string? key = rename(p.Name);
            if (key is not null) writer.Add(key, Array.ConvertAll(p.Shape, d => (long)d), source.Span(p).ToArray());
        }
        addMore?.Invoke(writer);
        string path = _temp.File(Guid.NewGuid().ToString("N") + ".safetensors");
        writer.Save(path);
        return path;
    }

    private static InvalidDataException LoadFails(ParameterSet target, string path, ParameterLoadOptions? options = null)
    {
        var e = Assert.Throws<InvalidDataException>(() => ParameterCheckpoint.Load(target, path, options));
        Assert.Contains(path, e.Message);
        return e;
    }

    // ---- the Hugging Face goldens ----

    [Fact]
    public void Golden_model_loads_all_41_parameters_matching_an_independent_read_of_the_raw_bytes()
    {
        var config = BertConfig.Load(GoldenFiles.TinyConfig);
        var parameters = new ParameterSet(BertParameterLayout.SequenceClassification(config));
        int version = parameters.Version;

        var report = ParameterCheckpoint.Load(parameters, GoldenFiles.TinyModel);

        Assert.Equal(41, parameters.Parameters.Count);
        Assert.Equal(parameters.Parameters.Select(p => p.Name), report.Loaded);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Ignored);
        Assert.Empty(report.Renamed);
        Assert.NotEqual(version, parameters.Version);
        var raw = RawSafetensors.ReadAllFloat32(GoldenFiles.TinyModel);
        foreach (var p in parameters.Parameters)
        {
            double expected = raw[p.Name].Sum(v => (double)v);
            double actual = 0;
            foreach (float v in parameters.Span(p)) actual += v;
            Assert.Equal(expected, actual);
        }
        // Spot checks: word embedding row 5, column 3 ([vocab, hidden]); a LayerNorm gain near 1.
        Assert.Equal(raw["bert.embeddings.word_embeddings.weight"][5 * 64 + 3], parameters.Span("bert.embeddings.word_embeddings.weight")[5 * 64 + 3]);
        Assert.Equal(raw["classifier.weight"], parameters.Span("classifier.weight").ToArray());
        Assert.InRange(parameters.Span("bert.encoder.layer.1.output.LayerNorm.weight")[0], 0.5f, 1.5f);
    }

    [Fact]
    public void Golden_grads_load_and_agree_with_the_statistics_Hugging_Face_recorded()
    {
        var config = BertConfig.Load(GoldenFiles.TinyConfig);
        var grads = new ParameterSet(BertParameterLayout.SequenceClassification(config)).CreateLike();

        var report = ParameterCheckpoint.Load(grads, GoldenFiles.TinyGrads);

        Assert.Equal(41, report.Loaded.Count);
        using var stats = JsonDocument.Parse(File.ReadAllText(GoldenFiles.TinyGradsJson));
        foreach (var p in grads.Parameters)
        {
            var expected = stats.RootElement.GetProperty("params").GetProperty(p.Name);
            Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), p.Shape);
            double sum = 0, squares = 0, maxAbs = 0;
            foreach (float g in grads.Span(p))
            {
                sum += g;
                squares += (double)g * g;
                maxAbs = Math.Max(maxAbs, Math.Abs(g));
            }
            Assert.Equal(expected.GetProperty("sum").GetDouble(), sum, 1e-9);
            Assert.Equal(expected.GetProperty("l2").GetDouble(), Math.Sqrt(squares), 1e-9);
            Assert.Equal(expected.GetProperty("max_abs").GetDouble(), maxAbs, 1e-12);
        }
        // nn.Embedding(padding_idx=0) never writes a gradient into the [PAD] row.
        Assert.All(grads.Span("bert.embeddings.word_embeddings.weight")[..64].ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Golden_model_into_a_config_with_other_num_labels_names_the_key_and_both_shapes()
    {
        var config = BertConfig.Load(GoldenFiles.TinyConfig) with { NumLabelsValue = 3 };
        var parameters = new ParameterSet(BertParameterLayout.SequenceClassification(config));

        var e = LoadFails(parameters, GoldenFiles.TinyModel);

        Assert.Contains("key \"classifier.weight\": shape [2, 64] in the file, but the model expects [3, 64]", e.Message);
        Assert.Contains("key \"classifier.bias\": shape [2] in the file, but the model expects [3]", e.Message);
        Assert.Contains("2 problems", e.Message);
    }

    // ---- strict matching ----

    [Fact]
    public void Wrong_shape_is_an_error_naming_the_key()
    {
        string path = SaveRenamed(SmallClassifier(), k => k == "bert.pooler.dense.weight" ? null : k,
            w => w.Add("bert.pooler.dense.weight", [4, 2], new float[8]));

        var e = LoadFails(SmallClassifier(), path);

        Assert.Contains("key \"bert.pooler.dense.weight\": shape [4, 2] in the file, but the model expects [4, 4]", e.Message);
    }

    [Fact]
    public void Missing_key_is_an_error_naming_the_key()
    {
        string path = SaveRenamed(SmallClassifier(), k => k == "bert.encoder.layer.0.attention.self.key.bias" ? null : k);

        var e = LoadFails(SmallClassifier(), path);

        Assert.Contains("missing key \"bert.encoder.layer.0.attention.self.key.bias\" [4]", e.Message);
        Assert.Contains("1 problem)", e.Message);
    }

    [Fact]
    public void Unexpected_key_is_an_error_naming_the_key()
    {
        string path = SaveRenamed(SmallClassifier(), k => k, w => w.Add("bert.encoder.layer.1.output.dense.bias", [4], new float[4]));

        var e = LoadFails(SmallClassifier(), path);

        Assert.Contains("unexpected key \"bert.encoder.layer.1.output.dense.bias\" [4]", e.Message);
    }

    [Fact]
    public void Failed_load_leaves_the_parameters_unchanged()
    {
        string path = SaveRenamed(SmallClassifier(start: 9f), k => k, w => w.Add("surplus", [1], new[] { 1f }));
        var target = SmallClassifier();
        float[] before = (float[])target.Data.Clone();
        int version = target.Version;

        LoadFails(target, path);

        Assert.Equal(before, target.Data);
        Assert.Equal(version, target.Version);
    }

    [Fact]
    public void Integer_tensor_for_a_parameter_is_an_error_naming_the_key()
    {
        var source = SmallClassifier();
        string path = _temp.File("int.safetensors");
        var tensors = source.Parameters.Select(p => p.Name == "classifier.bias"
            ? (p.Name, "I32", new long[] { 3 }, new byte[12])
            : (p.Name, "F32", Array.ConvertAll(p.Shape, d => (long)d), RawSafetensors.Float32Bytes(source.Span(p).ToArray()))).ToArray();
        RawSafetensors.WriteTensors(path, tensors);

        var e = LoadFails(SmallClassifier(), path);

        Assert.Contains("key \"classifier.bias\": dtype I32 is not a floating-point type", e.Message);
    }

    // ---- what real checkpoints look like ----

    [Fact]
    public void Position_ids_buffer_and_pretraining_heads_are_ignored_by_default_and_errors_without_the_ignore_list()
    {
        var source = SmallClassifier();
        var positionIds = new byte[6 * 8];
        for (int i = 0; i < 6; i++) BinaryPrimitives.WriteInt64LittleEndian(positionIds.AsSpan(8 * i), i);
        var tensors = source.Parameters
            .Select(p => (p.Name, "F32", Array.ConvertAll(p.Shape, d => (long)d), RawSafetensors.Float32Bytes(source.Span(p).ToArray())))
            .Append(("bert.embeddings.position_ids", "I64", new long[] { 1, 6 }, positionIds))
            .Append(("cls.predictions.bias", "F32", new long[] { 10 }, new byte[40]))
            .Append(("cls.seq_relationship.weight", "F32", new long[] { 2, 4 }, new byte[32]))
            .ToArray();
        string path = _temp.File("hf-old.safetensors");
        RawSafetensors.WriteTensors(path, tensors);
        var target = SmallClassifier(start: 0f);

        var report = ParameterCheckpoint.Load(target, path);

        Assert.Equal(source.Data, target.Data);
        Assert.Equal(["bert.embeddings.position_ids", "cls.predictions.bias", "cls.seq_relationship.weight"], report.Ignored.Order(StringComparer.Ordinal));
        var e = LoadFails(target, path, ParameterLoadOptions.Default with { IgnoredKeys = [] });
        Assert.Contains("unexpected key \"bert.embeddings.position_ids\" [1, 6]", e.Message);
        Assert.Contains("unexpected key \"cls.predictions.bias\" [10]", e.Message);
    }

    [Fact]
    public void Legacy_LayerNorm_gamma_and_beta_load_as_weight_and_bias()
    {
        var source = SmallClassifier();
        string path = SaveRenamed(source, k => k.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta"));
        var target = SmallClassifier(start: 0f);

        var report = ParameterCheckpoint.Load(target, path);

        Assert.Equal(source.Data, target.Data);
        Assert.Equal(6, report.Renamed.Count); // embeddings + two per layer, each gamma and beta
        Assert.Equal("bert.embeddings.LayerNorm.weight", report.Renamed["bert.embeddings.LayerNorm.gamma"]);
        Assert.Equal("bert.encoder.layer.0.output.LayerNorm.bias", report.Renamed["bert.encoder.layer.0.output.LayerNorm.beta"]);
    }

    [Fact]
    public void Bare_BertModel_keys_without_prefix_load_and_the_missing_classifier_is_reported()
    {
        var source = SmallClassifier();
        string path = SaveRenamed(source, k => k.StartsWith("bert.", StringComparison.Ordinal) ? k["bert.".Length..] : null);
        var target = SmallClassifier(start: 7f);
        float[] classifierBefore = target.Span("classifier.weight").ToArray();

        var report = ParameterCheckpoint.Load(target, path, ParameterLoadOptions.NewClassifierHead);

        Assert.Equal(["classifier.weight", "classifier.bias"], report.Missing);
        Assert.Equal(target.Parameters.Count - 2, report.Loaded.Count);
        Assert.Equal("bert.encoder.layer.0.intermediate.dense.weight", report.Renamed["encoder.layer.0.intermediate.dense.weight"]);
        foreach (string key in report.Loaded) Assert.Equal(source.Span(key).ToArray(), target.Span(key).ToArray());
        Assert.Equal(classifierBefore, target.Span("classifier.weight").ToArray()); // left for the caller to initialise
        Assert.Contains("missing (left as initialised): classifier.weight, classifier.bias", report.ToString());
    }

    [Fact]
    public void Missing_classifier_is_an_error_unless_allowed()
    {
        string path = SaveRenamed(SmallClassifier(), k => k.StartsWith("classifier.", StringComparison.Ordinal) ? null : k);

        var e = LoadFails(SmallClassifier(), path);

        Assert.Contains("missing key \"classifier.weight\" [3, 4]", e.Message);
        Assert.Contains("missing key \"classifier.bias\" [3]", e.Message);
    }

    [Fact]
    public void Google_style_checkpoint_loads_into_a_classifier_with_legacy_names_no_prefix_and_pretraining_heads()
    {
        var source = SmallClassifier();
        string path = SaveRenamed(source,
            k => k.StartsWith("bert.", StringComparison.Ordinal) ? k["bert.".Length..].Replace("LayerNorm.weight", "LayerNorm.gamma") : null,
            w => w.Add("cls.predictions.transform.dense.weight", [4, 4], new float[16]));
        var target = SmallClassifier(start: 0f);

        var report = ParameterCheckpoint.Load(target, path, ParameterLoadOptions.NewClassifierHead);

        Assert.Equal("bert.embeddings.LayerNorm.weight", report.Renamed["embeddings.LayerNorm.gamma"]);
        Assert.Equal(["cls.predictions.transform.dense.weight"], report.Ignored);
        foreach (string key in report.Loaded) Assert.Equal(source.Span(key).ToArray(), target.Span(key).ToArray());
    }

    [Fact]
    public void Headed_checkpoint_loads_into_a_bare_encoder_when_the_head_is_ignored()
    {
        var source = SmallClassifier();
        string path = SaveRenamed(source, k => k);
        var encoder = new ParameterSet(BertParameterLayout.Encoder(Small, prefix: ""));

        var report = ParameterCheckpoint.Load(encoder, path, new ParameterLoadOptions { IgnoredKeys = ["classifier.*"] });

        Assert.Equal(["classifier.bias", "classifier.weight"], report.Ignored);
        Assert.Equal(source.Span("bert.pooler.dense.bias").ToArray(), encoder.Span("pooler.dense.bias").ToArray());
    }

    [Fact]
    public void Two_spellings_of_one_parameter_are_an_error()
    {
        var source = SmallClassifier();
        string path = SaveRenamed(source, k => k, w => w.Add("bert.embeddings.LayerNorm.gamma", [4], new float[4]));

        var e = LoadFails(SmallClassifier(), path);

        Assert.Contains("keys \"bert.embeddings.LayerNorm.gamma\" and \"bert.embeddings.LayerNorm.weight\" both hold parameter \"bert.embeddings.LayerNorm.weight\"", e.Message);
    }

    [Fact]
    public void BF16_checkpoint_is_widened_to_float32()
    {
        var source = SmallClassifier(); // the file holds each value cut to bfloat16; widening must give back exactly those bits
        var tensors = source.Parameters.Select(p =>
        {
            var values = source.Span(p);
            var bytes = new byte[2 * values.Length];
            for (int i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), (ushort)(BitConverter.SingleToInt32Bits(values[i]) >> 16));
            return (p.Name, "BF16", Array.ConvertAll(p.Shape, d => (long)d), bytes);
        }).ToArray();
        string path = _temp.File("bf16.safetensors");
        RawSafetensors.WriteTensors(path, tensors);
        var target = SmallClassifier(start: 0f);

        ParameterCheckpoint.Load(target, path);

        for (int i = 0; i < source.Data.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(source.Data[i]) & unchecked((int)0xFFFF0000), BitConverter.SingleToInt32Bits(target.Data[i]));
        Assert.Equal(0.5f, target.Data[0]);
    }

    [Fact]
    public void Save_then_load_is_bit_identical_and_keeps_metadata()
    {
        var source = SmallClassifier();
        source.Data[3] = float.NaN;
        source.Data[4] = -0f;
        string path = _temp.File("saved.safetensors");

        ParameterCheckpoint.Save(source, path, new Dictionary<string, string> { ["step"] = "100" });

        var target = SmallClassifier(start: 0f);
        ParameterCheckpoint.Load(target, path);
        Assert.Equal(source.Data.Select(BitConverter.SingleToInt32Bits), target.Data.Select(BitConverter.SingleToInt32Bits));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("100", file.Metadata["step"]);
        Assert.Equal(source.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal), file.TensorNames);
    }
}
