using DpBert.Training;

namespace DpBert.Tests.Training;

public class LayerwiseLearningRateTests
{
    [Theory]
    [InlineData("bert.embeddings.word_embeddings.weight", 0.125)]        // d^(L+1), L = 2, d = 0.5
    [InlineData("bert.embeddings.LayerNorm.bias", 0.125)]
    [InlineData("bert.encoder.layer.0.attention.self.query.weight", 0.25)] // d^(L-0)
    [InlineData("bert.encoder.layer.1.output.LayerNorm.weight", 0.5)]      // d^(L-1): the top layer
    [InlineData("bert.pooler.dense.weight", 1.0)]
    [InlineData("classifier.bias", 1.0)]
    [InlineData("encoder.layer.1.intermediate.dense.bias", 0.5)]            // a bare BertModel's keys
    [InlineData("embeddings.position_embeddings.weight", 0.125)]
    public void Rates_fall_by_the_decay_with_each_layer_down_to_the_embeddings(string key, double expected) =>
        Assert.Equal(expected, LayerwiseLearningRate.Scale(key, numLayers: 2, decay: 0.5), 12);

    [Fact]
    public void A_decay_of_one_gives_every_parameter_the_peak_rate_and_no_scale_function()
    {
        Assert.Null(LayerwiseLearningRate.Scales(6, 1));
        Assert.Equal(1, LayerwiseLearningRate.Scale("bert.embeddings.word_embeddings.weight", 6, 1));
        Assert.Equal(0.9 * 0.9 * 0.9, LayerwiseLearningRate.Scales(6, 0.9)!("bert.encoder.layer.3.output.dense.weight"), 12);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_decay_outside_zero_to_one_is_rejected(double decay) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LayerwiseLearningRate.Scales(6, decay));

    [Fact]
    public void A_key_naming_a_layer_the_model_does_not_have_is_an_error_that_names_it()
    {
        var error = Assert.Throws<ArgumentException>(() => LayerwiseLearningRate.Scale("bert.encoder.layer.6.output.dense.weight", 6, 0.9));
        Assert.Contains("bert.encoder.layer.6.output.dense.weight", error.Message);
    }

    [Fact]
    public void The_flag_is_validated_with_its_name()
    {
        var error = Assert.Throws<ArgumentException>(() => new TrainingOptions { LayerLrDecay = 0 }.Validate());
        Assert.Contains("--layer-lr-decay", error.Message);
    }
}
