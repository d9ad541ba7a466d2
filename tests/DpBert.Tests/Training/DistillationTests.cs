using DpBert.Bert;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Tests.Training;

/// <summary>
/// Fine-tuning from teachers (<see cref="TeacherTargets"/>): the blended loss against values worked by hand, the step's
/// gradients against finite differences, and a student that must follow its teacher rather than its labels.
/// </summary>
public class DistillationTests
{
    private static readonly BertTokenizer Tokenizer = TinySentiment.Tokenizer;
    private static BertConfig TinyConfig(float dropout) => TinySentiment.Config(dropout);
    private static BertForSequenceClassification NewModel(BertConfig config, int seed) => TinySentiment.NewModel(config, seed);
    private static List<(LabeledExample Row, int Truth)> Sentences(int count, int seed) => TinySentiment.Sentences(count, seed);

    [Fact]
    public void Blended_loss_and_gradient_match_values_worked_by_hand()
    {
        // Teacher (0, ln 3): p = (1/4, 3/4); student (0, 0): q = (1/2, 1/2); KL(p || q) = 1/4 ln(1/2) + 3/4 ln(3/2).
        double kl = 0.25 * Math.Log(0.5) + 0.75 * Math.Log(1.5);
        float[] teacher = [0f, (float)Math.Log(3)], student = [0f, 0f];
        // The task's cross-entropy gradient for label 1 at q = (1/2, 1/2) is (1/2, -1/2), its loss ln 2.
        float[] d = [0.5f, -0.5f];
        double loss = Distillation.Blend(d, Math.Log(2), student, teacher, 1, 2, regression: false, weight: 0.25, temperature: 1);
        Assert.Equal(0.75 * Math.Log(2) + 0.25 * kl, loss, 6);
        // Blend of (q - y) and (q - p): 0.75 (1/2, -1/2) + 0.25 (1/4, -1/4).
        Assert.Equal(0.75 * 0.5 + 0.25 * 0.25, d[0], 6);
        Assert.Equal(-(0.75 * 0.5 + 0.25 * 0.25), d[1], 6);

        // Temperature 2: p = softmax(0, ln 3 / 2) = (1, sqrt 3) / (1 + sqrt 3); the loss is T^2 KL, its gradient T (q - p).
        double s3 = Math.Sqrt(3), p0 = 1 / (1 + s3), p1 = s3 / (1 + s3);
        d = [0f, 0f];
        loss = Distillation.Blend(d, 0, student, teacher, 1, 2, regression: false, weight: 1, temperature: 2);
        Assert.Equal(4 * (p0 * Math.Log(p0 / 0.5) + p1 * Math.Log(p1 / 0.5)), loss, 6);
        Assert.Equal(2 * (0.5 - p0), d[0], 6);

        // Regression: the mean squared difference of the outputs, over two rows.
        d = [0f, 0f];
        loss = Distillation.Blend(d, 0, [1f, 3f], [2f, 0f], 2, 1, regression: true, weight: 1, temperature: 2);
        Assert.Equal((1 + 9) / 2.0, loss, 6);
        Assert.Equal([-1f, 3f], d);
    }

    [Fact]
    public void Fine_tuning_step_with_teachers_matches_finite_differences_of_the_blended_loss()
    {
        // Dropout on, one seed: the masks are fixed, so the loss is a smooth function of the weights.
        var model = NewModel(TinyConfig(dropout: 0.1f), seed: 3);
        var rows = Sentences(6, seed: 4).Select(r => r.Row).ToList();
        var data = new EncodedDataset(rows, Tokenizer, 16);
        var rng = new Random(5);
        var teacherLogits = Enumerable.Range(0, data.Count * 2).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var objective = new ClassificationObjective(model, Tokenizer, new TrainingOptions(), new TeacherTargets(teacherLogits, 0.4, 2));
        int[] indices = [4, 1, 3];
        var context = new StepContext(0, 1, 77);
        var grads = model.Parameters.CreateLike();
        var step = objective.ForwardBackward(data, indices, [grads], context);

        // The loss is the blend of the task loss the step reports and the distillation term on the rows' own teacher logits.
        Assert.NotEqual(step.Values!["task_loss"], step.Loss, 3);
        FiniteDifferences.CheckStep(objective, model.Parameters, grads, data, indices, context);
    }

    [Fact]
    public void A_student_distilled_with_weight_one_follows_its_teacher_not_its_labels()
    {
        // The labels say the opposite of the words; the teacher's logits say what the words say.
        var sentences = Sentences(256, seed: 1);
        var flipped = sentences.Select(s => s.Row with { Label = 1 - s.Truth }).ToList();
        var train = new EncodedDataset(flipped, Tokenizer, 16);
        var teacher = sentences.SelectMany(s => s.Truth == 1 ? new[] { -2f, 2f } : [2f, -2f]).ToArray();
        var test = Sentences(64, seed: 2);
        var testSet = new EncodedDataset(test.Select(t => t.Row).ToList(), Tokenizer, 16);
        var options = new TrainingOptions { NumTrainEpochs = 6, PerDeviceTrainBatchSize = 16, LearningRate = 2e-3, WarmupRatio = 0.1 };

        double AgreementWithTruth(TeacherTargets? targets)
        {
            var model = NewModel(TinyConfig(dropout: 0.1f), seed: 1);
            using var temp = new TempFolder();
            new Trainer(model, Tokenizer, options, targets).Train(train, (Func<IReadOnlyDictionary<string, double>>?)null, temp.Path);
            var predicted = EvaluationOutput.Predict(model, testSet, 64).PredictedLabels;
            return Enumerable.Range(0, test.Count).Average(i => predicted[i] == test[i].Truth ? 1.0 : 0.0);
        }

        Assert.True(AgreementWithTruth(new TeacherTargets(teacher, 1, 2)) >= 0.95);
        Assert.True(AgreementWithTruth(null) <= 0.05);   // the same run without the teacher learns the flipped labels
    }

    [Fact]
    public void A_run_resumes_only_with_the_teachers_it_started_with()
    {
        var data = new EncodedDataset(Sentences(32, seed: 6).Select(r => r.Row).ToList(), Tokenizer, 16);
        var options = new TrainingOptions { MaxSteps = 4, PerDeviceTrainBatchSize = 8, LearningRate = 1e-3 };
        var rng = new Random(7);
        TeacherTargets Teacher() => new(Enumerable.Range(0, data.Count * 2).Select(_ => (float)rng.NextDouble()).ToArray(), 0.5, 2);
        var teacher = Teacher();
        using var temp = new TempFolder();
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress<TrainingProgress>(e => { if (e.Kind == TrainingEventKind.Step && e.Step == 2) cancel.Cancel(); });
        new Trainer(NewModel(TinyConfig(0.1f), seed: 1), Tokenizer, options, teacher).Train(data, null, temp.Path, progress, cancel.Token);
        string checkpoint = Path.Combine(temp.Path, "checkpoint");

        // Other teachers, or none, would not continue the same run: refused, naming what each learns from.
        foreach (var other in new[] { Teacher(), null })
        {
            var e = Assert.Throws<InvalidDataException>(() => new Trainer(NewModel(TinyConfig(0.1f), seed: 1), Tokenizer, options, other)
                .Train(data, null, Path.Combine(temp.Path, "other"), resumeFrom: checkpoint));
            Assert.Contains($"trained on {data.Fingerprint()}, learning from {teacher.Fingerprint()}; this run has {data.Fingerprint()}" +
                (other is null ? "." : $", learning from {other.Fingerprint()}."), e.Message);
        }
        var resumed = new Trainer(NewModel(TinyConfig(0.1f), seed: 1), Tokenizer, options, teacher).Train(data, null, temp.Path, resumeFrom: checkpoint);
        Assert.Equal(4, resumed.Steps);
    }

    [Fact]
    public void Ensemble_logits_are_the_mean_of_each_teachers_own_and_mismatches_are_refused()
    {
        var rows = Sentences(10, seed: 8).Select(r => r.Row).ToList();
        var data = new EncodedDataset(rows, Tokenizer, 16);
        var a = NewModel(TinyConfig(0), seed: 11);
        var b = NewModel(TinyConfig(0), seed: 12);
        var reports = new List<int>();
        var mean = TeacherTargets.MeanLogits([(a, data), (b, data)], batchSize: 3, new SyncProgress<int>(reports.Add));
        Assert.Equal(2 * rows.Count, reports[^1]);
        Assert.Equal(reports.Order(), reports);
        // Each row alone, batch of one: batches of rows sorted by length, and their padding, must not change or move a row's logits.
        for (int i = 0; i < rows.Count; i++)
        {
            var one = new EncodedDataset([rows[i]], Tokenizer, 16);
            var la = EvaluationOutput.Predict(a, one, 1).Logits;
            var lb = EvaluationOutput.Predict(b, one, 1).Logits;
            for (int c = 0; c < 2; c++) Assert.Equal((la[c] + lb[c]) / 2, mean[i * 2 + c], 4);
        }
        var fewer = new EncodedDataset(rows.Take(4).ToList(), Tokenizer, 16);
        var e = Assert.Throws<ArgumentException>(() => TeacherTargets.MeanLogits([(a, data), (b, fewer)], 3));
        Assert.Contains("teacher 2 is given 4 rows", e.Message);
        var three = NewModel(TinyConfig(0) with { NumLabelsValue = 3 }, seed: 13);
        e = Assert.Throws<ArgumentException>(() => TeacherTargets.MeanLogits([(a, data), (three, data)], 3));
        Assert.Contains("teacher 2 has 3 labels", e.Message);
        // Logits for another training set are refused at the first step, naming both counts.
        var objective = new ClassificationObjective(a, Tokenizer, new TrainingOptions(), new TeacherTargets(new float[8], 0.5, 2));
        e = Assert.Throws<ArgumentException>(() => objective.ForwardBackward(data, [0, 1], [a.Parameters.CreateLike()], new StepContext(0, 1, 1)));
        Assert.Contains("cover 4 rows, the training set has 10", e.Message);
    }
}
