using DpBert.Glue;
using DpBert.OnnxSample;

namespace DpBert.OnnxExport.Tests;

/// <summary>
/// The deployment sample (ONNX Runtime and Microsoft.ML.Tokenizers, no DpBert package) gives the core engine's labels and
/// plans: an independent tokenizer and an independent runtime against the library end to end.
/// </summary>
[Collection(TrainedDpBertCollection.Name)]
public class SampleTests(TrainedDpBertFixture model)
{
    [Theory]
    [InlineData(null)]
    [InlineData(0.7f)]
    public void The_sample_reproduces_the_core_engines_labels_and_plans(float? theta)
    {
        using var temp = new TempFolder();
        string path = BertOnnxExporter.Save(BertOnnxExporter.BuildDpBert(model.DpBert.Model, model.DpBert.Planner), temp.File("dpbert.onnx")).Path;
        var texts = GlueDataset.Load(GlueTask.Sst2, "dev", SharedFiles.GlueFolder).Take(64).Select(e => e.TextA).ToList();
        using var sample = new DpBertOnnxClassifier(path, Path.Combine(model.ModelFolder, "vocab.txt"));
        var actual = sample.Classify(texts, theta);
        int sameTokens = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            // Compared where the two tokenizers give the same ids, which they must for nearly every sentence.
            int[] ids = model.Full.Tokenizer.Encode(texts[i]).InputIds;
            if (!ids.SequenceEqual(sample.Tokenize(texts[i]))) continue;
            sameTokens++;
            var expected = model.DpBert.Predict(DpBert.Bert.BertBatch.FromRows([ids]), theta ?? DpBert.Planning.DpBertMethod.Instance.DefaultKnob(model.Full.Config))[0];
            Assert.Equal(expected.Plan.ToString(), string.Concat(actual[i].Plan.Select(r => r ? '1' : '0')));
            Assert.Equal(model.Full.Config.LabelName(Array.IndexOf(expected.Logits, expected.Logits.Max())), actual[i].Label);
            Assert.True(DpBertParityTests.MaxAbsDiff(expected.Logits, actual[i].Logits) < 1e-4, texts[i]);
        }
        Assert.True(sameTokens >= 60, $"only {sameTokens} of 64 sentences agree");
    }
}
