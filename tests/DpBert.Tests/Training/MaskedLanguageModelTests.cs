using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Tests.Training;

/// <summary>Masked-LM pre-training: the head's gradients, the masking recipe, presets, corpus and a short run.</summary>
public class MaskedLanguageModelTests
{
    private static readonly BertTokenizer Tokenizer = BertTokenizer.FromFolder(GoldenFiles.TinyModelFolder);

    private static BertConfig Tiny() => new()
    {
        VocabSize = 60, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 24,
        MaxPositionEmbeddings = 16, HiddenDropoutProb = 0.1f, AttentionProbsDropoutProb = 0.1f,
    };

    [Fact]
    public void Layout_has_hugging_face_keys_and_no_pooler_and_ties_the_decoder()
    {
        var names = BertParameterLayout.MaskedLanguageModel(Tiny()).Select(p => p.Name).ToList();
        Assert.Contains("cls.predictions.transform.dense.weight", names);
        Assert.Contains("cls.predictions.transform.LayerNorm.bias", names);
        Assert.Contains("cls.predictions.bias", names);
        Assert.DoesNotContain("cls.predictions.decoder.weight", names);
        Assert.DoesNotContain(names, n => n.StartsWith("bert.pooler.", StringComparison.Ordinal));
    }

    [Fact]
    public void Gradients_including_the_tied_embedding_match_finite_differences()
    {
        var config = Tiny();
        var model = BertForMaskedLM.CreateEmpty(config);
        BertInitializer.Initialize(model.Parameters, config, 5);
        var rng = new Random(6);
        foreach (var p in model.Parameters.Parameters)
        {
            var v = model.Parameters.Span(p);
            for (int i = 0; i < v.Length; i++) v[i] += (float)(rng.NextDouble() - 0.5) * 0.5f;
        }
        model.Parameters.MarkChanged();
        var batch = BertBatch.FromRows([[2, 7, 9, 11, 3], [2, 5, 6, 3, 0]], null, [[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]]);
        int[] labels = [-100, 12, -100, 40, -100, -100, 7, -100, -100, -100];
        var acts = new BertTrainingActivations(config);
        var grads = model.Parameters.CreateLike();
        model.ForwardBackward(batch, labels, acts, grads, 9);
        double Loss()
        {
            model.Parameters.MarkChanged();
            return model.ForwardBackward(batch, labels, acts, model.Parameters.CreateLike(), 9);
        }
        var failures = new List<string>();
        foreach (var p in model.Parameters.Parameters)
        {
            var values = model.Parameters.Span(p);
            // Word embedding: a row used as input (7), a row used only as a prediction target (40).
            int[] picks = p.Name.EndsWith("word_embeddings.weight") ? [7 * 16 + 2, 40 * 16 + 5, 12 * 16 + 1] : [0, p.Length / 2, p.Length - 1];
            foreach (int i in picks)
            {
                float saved = values[i];
                values[i] = saved + 1e-2f; double up = Loss();
                values[i] = saved - 1e-2f; double down = Loss();
                values[i] = saved;
                double numerical = (up - down) / 2e-2, analytic = grads.Span(p)[i];
                if (Math.Abs(analytic - numerical) > 5e-4 + 5e-2 * Math.Abs(numerical)) failures.Add($"{p.Name}[{i}]: analytic {analytic:G6}, numerical {numerical:G6}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Masking_follows_the_80_10_10_recipe_and_never_touches_specials_or_padding()
    {
        var special = Tokenizer.SpecialTokens;
        int rows = 400, s = 40;
        var ids = new int[rows * s];
        var mask = new int[rows * s];
        var rng = new Random(1);
        for (int r = 0; r < rows; r++)
        {
            int length = rng.Next(5, s + 1);
            for (int j = 0; j < s; j++)
            {
                int i = r * s + j;
                ids[i] = j == 0 ? special.Cls : j == length - 1 ? special.Sep : j >= length ? special.Pad : rng.Next(1000, 4000);
                mask[i] = j < length ? 1 : 0;
            }
        }
        var original = (int[])ids.Clone();
        var batch = new BertBatch(ids, new int[rows * s], mask, rows, s);
        int[] labels = MaskedLanguageModeling.Mask(batch, special, 4096, 0.15, new Random(2));
        int chosen = 0, masked = 0, kept = 0, real = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            bool isReal = mask[i] == 1 && !special.Contains(original[i]);
            if (isReal) real++;
            if (labels[i] == -100) { Assert.Equal(original[i], ids[i]); continue; }
            Assert.True(isReal, $"position {i} (id {original[i]}) is special or padding but was chosen");
            Assert.Equal(original[i], labels[i]);
            chosen++;
            if (ids[i] == special.Mask) masked++;
            else if (ids[i] == original[i]) kept++;
        }
        Assert.InRange(chosen / (double)real, 0.13, 0.17);
        Assert.InRange(masked / (double)chosen, 0.76, 0.84);
        Assert.InRange(kept / (double)chosen, 0.07, 0.14);
    }

    [Fact]
    public void Presets_have_the_published_shapes()
    {
        var mini = BertPresets.Create("bert-mini", 30522);
        Assert.Equal((4, 256, 4, 1024), (mini.NumHiddenLayers, mini.HiddenSize, mini.NumAttentionHeads, mini.IntermediateSize));
        var tiny = BertPresets.Create("BERT-TINY", 100);
        Assert.Equal((2, 128, 2), (tiny.NumHiddenLayers, tiny.HiddenSize, tiny.NumAttentionHeads));
        Assert.Equal(12, BertPresets.Create("bert-base", 100).NumHiddenLayers);
        Assert.Contains("bert-small", Assert.Throws<ArgumentException>(() => BertPresets.Create("bert-huge", 100)).Message);
        var l6 = BertPresets.Create("L6-H256", 100);
        Assert.Equal((6, 256, 4, 1024), (l6.NumHiddenLayers, l6.HiddenSize, l6.NumAttentionHeads, l6.IntermediateSize));
        Assert.False(BertPresets.IsPreset("L6-H100"));
        Assert.False(BertPresets.IsPreset("L0-H256"));
    }

    [Fact]
    public void Corpus_reader_skips_blank_lines_and_glue_corpus_uses_training_sets_only()
    {
        using var temp = new TempFolder();
        File.WriteAllLines(temp.File("c.txt"), ["first line", "", "  second  ", "   "]);
        Assert.Equal(["first line", "second"], TextCorpus.ReadLines(temp.File("c.txt")));
        Assert.Throws<FileNotFoundException>(() => TextCorpus.ReadLines(temp.File("missing.txt")));
        string glueDir = Path.Combine(GoldenFiles.SharedFolder, "glue");
        var glue = TextCorpus.GlueTrainingSentences(glueDir);
        // SST-2 67,349 + CoLA 8,551 + MRPC 2x3,668 + STS-B 2x5,749 + RTE 2x2,490 + WNLI 2x635 (QNLI has no train file here).
        Assert.Equal(67349 + 8551 + 2 * 3668 + 2 * 5749 + 2 * 2490 + 2 * 635, glue.Count);
        // One task's own text (task-adaptive pre-training): CoLA's training sentences, in file order; RTE's both segments.
        var cola = TextCorpus.GlueTrainingSentences(glueDir, [DpBert.Glue.GlueTask.FromName("cola")]);
        Assert.Equal(8551, cola.Count);
        Assert.Equal("Our friends won't buy this analysis, let alone the next one we propose.", cola[0]);
        Assert.Equal(8551 + 2 * 2490, TextCorpus.GlueTrainingSentences(glueDir, [DpBert.Glue.GlueTask.FromName("cola"), DpBert.Glue.GlueTask.FromName("rte")]).Count);
        var missing = Assert.Throws<FileNotFoundException>(() => TextCorpus.GlueTrainingSentences(glueDir, [DpBert.Glue.GlueTask.FromName("qnli")]));
        Assert.StartsWith("qnli: no training file (", missing.Message);
    }

    [Fact]
    public void Short_pretraining_lowers_the_loss_and_saves_a_loadable_encoder()
    {
        using var temp = new TempFolder();
        var config = BertPresets.Create("bert-tiny", Tokenizer.Vocabulary.Count) with { MaxPositionEmbeddings = 32, HiddenSize = 32, NumAttentionHeads = 2, IntermediateSize = 64 };
        var model = BertForMaskedLM.CreateEmpty(config);
        BertInitializer.Initialize(model.Parameters, config, 3);
        string[] sentences = Enumerable.Range(0, 64).Select(i => i % 2 == 0 ? "the cat sat on the mat" : "a dog ran in the park").ToArray();
        var result = new MaskedLmPretrainer(model, Tokenizer, new PretrainingOptions { MaxSteps = 40, BatchSize = 16, LearningRate = 3e-3, MaxSeqLength = 16 })
            .Train(sentences, temp.Path);
        var log = TrainingLog.Read(Path.Combine(temp.Path, TrainingLog.FileName));
        double first = log.Take(5).Average(r => r["loss"].GetDouble()), last = log.TakeLast(5).Average(r => r["loss"].GetDouble());
        Assert.True(last < first - 2.0, $"MLM loss {first:F3} -> {last:F3} (nats; ln 4096 = 8.3 is chance)");
        Assert.Equal(40, result.Steps);
        // The saved folder starts a classifier: encoder loaded, pooler and classifier new.
        var init = ModelInitialization.ForSequenceClassification(temp.Path, ["a", "b"], null, new TrainingOptions());
        Assert.Contains(init.Notes, n => n.Contains("classifier.weight"));
        Assert.Equal(model.Parameters.Span("bert.encoder.layer.1.output.dense.weight").ToArray(),
            init.Model.Parameters.Span("bert.encoder.layer.1.output.dense.weight").ToArray());
        // ... and continues pre-training with its own head, not a new one.
        var continued = ModelInitialization.ForMaskedLanguageModel(temp.Path, seed: 99);
        Assert.DoesNotContain(continued.Notes, n => n.Contains("masked-LM head", StringComparison.Ordinal));
        foreach (var p in model.Parameters.Parameters)
            Assert.Equal(model.Parameters.Span(p).ToArray(), continued.Model.Parameters.Span(p.Name).ToArray());
    }
}
