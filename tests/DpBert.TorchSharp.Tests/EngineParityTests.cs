using System.Text.Json;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Planning;
using DpBert.TorchSharp.Interop;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using CorePlanner = DpBert.Planning.PlanningModule;
using TorchDpBert = DpBert.TorchSharp.Planning.DpBertForSequenceClassification;
using TorchPlanner = DpBert.TorchSharp.Planning.PlanningModule;

namespace DpBert.TorchSharp.Tests;

/// <summary>
/// Each engine checks the other on DPBERT. With the golden checkpoint's weights (dropout 0), the same random planner, the
/// same batch, teacher logits and gate noise (the core engine's hash-derived noise, fed to both), one stage-two step gives
/// the same gates, the same loss and the same gradient for every backbone and planner parameter (within 1e-4 relative or
/// 1e-6 absolute, element by element); planned inference gives the same plans and logits (within 1e-5). With the model's
/// pooler and the planner each on [CLS] or on the mean of the real tokens (<c>dpbert_pooler_input</c>, <c>planner_input</c>).
/// </summary>
public class EngineParityTests(ITestOutputHelper output)
{
    private static readonly PlannerTrainingOptions Options = new() { Rho = 0.3, Lambda = 3, DistillationWeight = 0.4, DistillationTemperature = 2 };

    internal static (BertForSequenceClassification Model, CorePlanner Planner) CoreModel(float plannerBias, TokenPooling pooler = TokenPooling.Cls,
        TokenPooling plannerInput = TokenPooling.Cls)
    {
        var golden = ModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel).Model;
        var model = BertForSequenceClassification.CreateEmpty(golden.Config.WithPoolerInput(pooler));
        golden.Parameters.Data.CopyTo(model.Parameters.Data);
        model.Parameters.MarkChanged();
        var planner = new CorePlanner(model.Config, alwaysRunLayers: 1, plannerInput);
        var rng = new Random(6);
        foreach (var p in planner.Parameters.Parameters)
        {
            var v = planner.Parameters.Span(p);
            for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() - 0.5) * 1.2f;
        }
        planner.Parameters.Span("planner.output.bias").Fill(plannerBias);
        planner.Parameters.MarkChanged();
        return (model, planner);
    }

    internal static TorchDpBert TorchCopy(BertForSequenceClassification model, CorePlanner planner)
    {
        var torchModel = new TorchDpBert(TorchModelFolder.FromCore(model), new TorchPlanner(model.Config, planner.AlwaysRunLayers, planner.Input));
        ParameterTransfer.CopyFrom(torchModel, model.Parameters, planner.Parameters);
        return torchModel;
    }

    internal static (BertBatch Batch, int[] Labels) GoldenTrainingBatch()
    {
        using var grads = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedFiles.TinyModel, "grads.json")));
        var b = grads.RootElement.GetProperty("batch");
        return (BertBatch.FromRows(SharedFiles.Ints2(b, "input_ids"), SharedFiles.Ints2(b, "token_type_ids"), SharedFiles.Ints2(b, "attention_mask")),
            b.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32()).ToArray());
    }

    [Theory]
    [InlineData(true, 0.2f, TokenPooling.Cls, TokenPooling.Cls)]
    [InlineData(false, 0.2f, TokenPooling.Cls, TokenPooling.Cls)]
    [InlineData(true, 0.2f, TokenPooling.Mean, TokenPooling.Cls)]
    [InlineData(true, 0.2f, TokenPooling.Cls, TokenPooling.Mean)]
    public void One_training_step_gives_the_same_loss_gates_and_gradients_on_both_engines(bool hard, float plannerBias, TokenPooling pooler, TokenPooling plannerInput)
    {
        var (model, planner) = CoreModel(plannerBias, pooler, plannerInput);
        var (batch, labels) = GoldenTrainingBatch();
        float[] teacher = [1.5f, -0.5f, -1f, 2f, 0.1f, 0.4f, 0.8f, -0.3f];
        const double tau = 0.7;
        const ulong seed = 99;

        var backboneGrads = model.Parameters.CreateLike();
        var plannerGrads = planner.Parameters.CreateLike();
        var coreStep = new PlannerObjective(model, null, planner, Options);
        var core = coreStep.Step(batch, labels, [], teacher, backboneGrads, plannerGrads, tau, seed, hard);
        float[] coreGates = coreStep.LastGates[..(batch.BatchSize * planner.PlannedLayers)].ToArray();

        using var torchModel = TorchCopy(model, planner);
        torchModel.train();
        using var scope = NewDisposeScope();
        using var inputs = TorchBatch.From(batch, CPU);
        var noise = Planning.GumbelSigmoidGate.HashNoise(seed, batch.BatchSize, planner.PlannedLayers, ScalarType.Float32, CPU);
        using var gated = torchModel.ForwardGated(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask, noise, tau, hard);
        using var loss = Planning.DpBertObjective.Compute(torchModel.Backbone, gated, tensor(labels.Select(l => (long)l).ToArray()), tensor(teacher, [batch.BatchSize, 2]), Options);
        loss.Loss.backward();

        float[] torchGates = gated.Gates.detach().data<float>().ToArray();
        Assert.True(Difference.Of(torchGates, coreGates).MaxAbs <= (hard ? 1e-6 : 1e-5), $"gates differ: [{string.Join(", ", torchGates)}] vs [{string.Join(", ", coreGates)}]");
        if (hard) Assert.Contains(0f, coreGates); // the plan really skips some layers and runs others
        if (hard) Assert.Contains(1f, coreGates);
        var lossDiff = Math.Abs(loss.Loss.item<float>() - core.Loss);
        Assert.True(lossDiff <= 1e-4 * Math.Abs(core.Loss), $"loss {loss.Loss.item<float>()} vs {core.Loss}");
        Assert.Equal(core.TaskLoss, loss.TaskLoss.item<float>(), 1e-5f);

        var differences = new List<Difference>();
        var failures = new List<string>();
        foreach (var (name, parameter) in torchModel.named_parameters())
        {
            var set = name.StartsWith("planner.", StringComparison.Ordinal) ? plannerGrads : backboneGrads;
            var reference = set.Span(name).ToArray();
            var actual = parameter.grad!.data<float>().ToArray();
            if (Difference.FirstOutside(actual, reference, 1e-4, 1e-6) is { } bad) failures.Add(name + bad);
            differences.Add(Difference.Of(actual, reference));
        }
        Assert.Equal(model.Parameters.Parameters.Count + planner.Parameters.Parameters.Count, differences.Count);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        var worst = Difference.Max(differences);
        output.WriteLine($"{(hard ? "hard" : "soft")} gates, pooler on {TokenPoolings.Name(pooler)}, planner on {TokenPoolings.Name(plannerInput)}: loss {core.Loss:G9} (core) vs {loss.Loss.item<float>():G9} (TorchSharp), rel diff {lossDiff / Math.Abs(core.Loss):E2}; "
            + $"gradients of {differences.Count} tensors: max abs diff {worst.MaxAbs:E2}, max relative (to each tensor's largest magnitude) {worst.Relative:E2}");
    }

    [Theory]
    [InlineData(TokenPooling.Cls, TokenPooling.Cls)]
    [InlineData(TokenPooling.Mean, TokenPooling.Cls)]
    [InlineData(TokenPooling.Cls, TokenPooling.Mean)]
    public void Planned_inference_gives_the_same_plans_and_logits_on_both_engines(TokenPooling pooler, TokenPooling plannerInput)
    {
        var (model, planner) = CoreModel(plannerBias: 0.1f, pooler, plannerInput);
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedFiles.TinyModel, "golden.json")));
        var batches = golden.RootElement.GetProperty("batches").EnumerateArray()
            .Select(b => BertBatch.FromRows(SharedFiles.Ints2(b, "input_ids"), SharedFiles.Ints2(b, "token_type_ids"), SharedFiles.Ints2(b, "attention_mask"))).ToList();
        // Centre the planned layer's logit on these rows (a shift of its bias by the median), so some rows run it and others skip it.
        var uncentred = new DpBertClassifier(model, planner);
        var logits = batches.SelectMany(b => uncentred.Predict(b, theta: 0.5)).Select(p => Math.Log(p.LayerProbabilities[0] / (1 - p.LayerProbabilities[0]))).Order().ToArray();
        planner.Parameters.Span("planner.output.bias")[0] -= (float)((logits[(logits.Length - 1) / 2] + logits[logits.Length / 2]) / 2);
        planner.Parameters.MarkChanged();
        var coreClassifier = new DpBertClassifier(model, planner);
        using var torchModel = TorchCopy(model, planner);
        torchModel.eval();
        var differences = new List<Difference>();
        int skipped = 0, rows = 0;
        foreach (var batch in batches)
        {
            var expected = coreClassifier.Predict(batch, theta: 0.5);
            using var noGrad = no_grad();
            using var inputs = TorchBatch.From(batch, CPU);
            using var planned = torchModel.Predict(inputs.InputIds, inputs.TokenTypeIds, inputs.AttentionMask, theta: 0.5);
            Assert.Equal(expected.Select(p => p.Plan.ToString()), planned.Plans.Select(p => p.ToString()));
            differences.Add(Difference.Of(planned.Logits.data<float>().ToArray(), expected.SelectMany(p => p.Logits).ToArray()));
            Assert.True(differences[^1].MaxAbs <= 1e-5, $"logits differ by {differences[^1].MaxAbs:E2}");
            skipped += expected.Sum(p => p.Plan.LayerCount - p.Plan.ExecutedCount);
            rows += batch.BatchSize;
        }
        Assert.InRange(skipped, 1, rows - 1); // some rows skip the planned layer, others run it
        output.WriteLine($"planned inference, pooler on {TokenPoolings.Name(pooler)}, planner on {TokenPoolings.Name(plannerInput)}: identical plans for {rows} rows ({skipped} skipped layers); logits max abs diff {Difference.Max(differences).MaxAbs:E2}");
    }
}
