using DpBert.Bert;
using DpBert.EarlyExit;
using DpBert.Tests.EarlyExit;

namespace DpBert.Tests.Bert;

/// <summary>
/// A classifier whose pooler reads the mean of the real tokens (<c>dpbert_pooler_input</c> mean): its logits against the
/// head recomputed in double precision from the last hidden states, padding that changes nothing, the configuration key and
/// DeeBERT's last exit (the model's own head). Its gradients are checked in
/// <see cref="BlockGradientTests"/>.
/// </summary>
public class PoolerInputTests
{
    private static readonly BertConfig MeanConfig = EarlyExitInferenceTests.Config.WithPoolerInput(TokenPooling.Mean);

    [Fact]
    public void Mean_pooled_logits_are_the_head_on_the_mean_of_the_real_tokens()
    {
        var model = EarlyExitInferenceTests.RandomModel(MeanConfig, 31);
        var batch = EarlyExitInferenceTests.Batch;
        var logits = model.Forward(batch);
        int b = batch.BatchSize, s = batch.SequenceLength, h = MeanConfig.HiddenSize, n = MeanConfig.NumLabels;
        var hidden = model.Bert.Activations.Hidden;
        var p = model.Parameters;
        for (int r = 0; r < b; r++)
        {
            var mean = new double[h];
            int real = 0;
            for (int t = 0; t < s; t++)
            {
                if (batch.AttentionMask[r * s + t] == 0) continue;
                real++;
                for (int j = 0; j < h; j++) mean[j] += hidden[(r * s + t) * h + j];
            }
            for (int j = 0; j < h; j++) mean[j] /= real;
            var pooled = Affine(p.Span("bert.pooler.dense.weight"), p.Span("bert.pooler.dense.bias"), mean).Select(Math.Tanh).ToArray();
            var expected = Affine(p.Span("classifier.weight"), p.Span("classifier.bias"), pooled);
            for (int c = 0; c < n; c++) Assert.Equal(expected[c], logits[r * n + c], 4);
        }
        // Not what a [CLS] pooler gives on the same weights.
        var clsModel = new BertForSequenceClassification(EarlyExitInferenceTests.Config, model.Parameters);
        Assert.NotEqual(clsModel.Forward(batch), logits);
    }

    [Theory]
    [InlineData(TokenPooling.Mean)]
    [InlineData(TokenPooling.Cls)]
    public void Padding_does_not_change_the_logits(TokenPooling input)
    {
        var model = EarlyExitInferenceTests.RandomModel(EarlyExitInferenceTests.Config.WithPoolerInput(input), 32);
        var shortBatch = BertBatch.FromRows([[2, 7, 9, 3], [2, 5, 3, 0]], null, [[1, 1, 1, 1], [1, 1, 1, 0]]);
        var longBatch = BertBatch.FromRows([[2, 7, 9, 3, 0, 0, 0, 0], [2, 5, 3, 0, 0, 0, 0, 0]], null, [[1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0]]);
        var expected = model.Forward(shortBatch);
        var padded = model.Forward(longBatch);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], padded[i], 4);
    }

    [Fact]
    public void The_configuration_key_is_written_for_mean_only_and_checked()
    {
        Assert.Contains("\"dpbert_pooler_input\": \"mean\"", MeanConfig.ToJson());
        Assert.Equal(TokenPooling.Mean, BertConfig.Parse(MeanConfig.ToJson()).PoolerInput);
        var cls = MeanConfig.WithPoolerInput(TokenPooling.Cls);
        Assert.DoesNotContain("dpbert_pooler_input", cls.ToJson());
        Assert.Equal(TokenPooling.Cls, BertConfig.Parse(cls.ToJson()).PoolerInput);
        var bad = Assert.Throws<InvalidDataException>(() => BertConfig.Parse(MeanConfig.ToJson().Replace("\"mean\"", "\"max\""), "model/config.json"));
        Assert.Contains("model/config.json", bad.Message);
        Assert.Contains("\"dpbert_pooler_input\" = \"max\"", bad.Message);
    }

    [Fact]
    public void DeeBert_last_exit_is_the_mean_pooled_model_head()
    {
        var model = EarlyExitInferenceTests.RandomModel(MeanConfig, 33);
        // The earlier exits read [CLS]; the last one is the model's own head and reads what its pooler reads.
        var heads = new ExitHeads(model, EarlyExitMethod.DeeBert, TokenPooling.Cls);
        heads.Initialize(34);
        Assert.Equal(TokenPooling.Mean, heads.InputOf(MeanConfig.NumHiddenLayers - 1));
        var result = new EarlyExitClassifier(model, heads).Classify(EarlyExitInferenceTests.Batch, 0.0);   // threshold 0: no early exit
        var expected = model.Forward(EarlyExitInferenceTests.Batch);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], result.Logits[i], 4);
    }

    private static double[] Affine(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, double[] x)
    {
        var y = new double[bias.Length];
        for (int o = 0; o < y.Length; o++)
        {
            double sum = bias[o];
            for (int i = 0; i < x.Length; i++) sum += weight[o * x.Length + i] * x[i];
            y[o] = sum;
        }
        return y;
    }
}
