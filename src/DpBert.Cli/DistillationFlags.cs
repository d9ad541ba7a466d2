using System.CommandLine;
using DpBert.Checkpoints;
using DpBert.Glue;
using DpBert.Training;

namespace DpBert.Cli;

/// <summary>
/// <c>--teacher M</c> (repeatable), <c>--distillation-weight</c> and <c>--distillation-temperature</c> of <c>finetune</c>:
/// fine-tuning that also learns from the mean logits of one or more fine-tuned models (an ensemble distilled into one model).
/// </summary>
internal sealed class DistillationFlags
{
    private readonly Option<string[]> _teachers = new("--teacher")
    {
        Description = "A model fine-tuned on the same task whose logits the student also learns from; repeat it for an ensemble (their logits are averaged). " +
            "Each teacher reads the training rows through its own vocabulary.",
        HelpName = "model",
    };

    private readonly Option<double?> _weight = new("--distillation-weight")
    {
        HelpName = "w",
        Description = $"With --teacher: the loss is (1 - w) * task loss + w * distillation, w in (0, 1] (default {TeacherTargets.DefaultWeight}).",
    };

    private readonly Option<double?> _temperature = new("--distillation-temperature")
    {
        HelpName = "t",
        Description = $"With --teacher: the softmax temperature of the distillation term (default {TeacherTargets.DefaultTemperature}).",
    };

    /// <summary>Adds the three options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_teachers);
        command.Options.Add(_weight);
        command.Options.Add(_temperature);
    }

    /// <summary>The teacher folders given (none: no distillation); the weight and temperature are checked here.</summary>
    /// <exception cref="CliInputException">A weight or temperature without a teacher, or out of range.</exception>
    public (IReadOnlyList<string> Teachers, double Weight, double Temperature) Read(ParseResult parse)
    {
        var teachers = parse.GetValue(_teachers) ?? [];
        double? weight = parse.GetValue(_weight), temperature = parse.GetValue(_temperature);
        if (teachers.Length == 0 && (weight is not null || temperature is not null))
            throw new CliInputException($"{(weight is not null ? "--distillation-weight" : "--distillation-temperature")} needs --teacher (the model to distil from)");
        var settings = new TeacherTargets([], weight ?? TeacherTargets.DefaultWeight, temperature ?? TeacherTargets.DefaultTemperature);
        try { settings.Validate(); }
        catch (ArgumentException e) { throw new CliInputException(e.Message); }
        return (teachers, settings.Weight, settings.Temperature);
    }

    /// <summary>
    /// Loads every teacher, checks that it fits <paramref name="task"/>, and averages their logits over <paramref name="rows"/>
    /// (each encoded with the teacher's own tokenizer, truncated to <paramref name="maxSeqLength"/>), with a line per teacher on <paramref name="log"/>.
    /// </summary>
    public static TeacherTargets Targets(IReadOnlyList<string> teachers, double weight, double temperature, GlueTask task, IReadOnlyList<LabeledExample> rows,
        int maxSeqLength, int batchSize, TextWriter log)
    {
        var members = new List<(Bert.BertForSequenceClassification, EncodedDataset)>();
        foreach (string teacher in teachers)
        {
            var loaded = ModelFolder.LoadSequenceClassifier(teacher);
            GlueSets.RequireFits(task, loaded.Config, teacher);
            int length = Math.Min(maxSeqLength, loaded.Config.MaxPositionEmbeddings);
            members.Add((loaded.Model, new EncodedDataset(rows, loaded.Tokenizer, length)));
            log.WriteLine($"teacher {members.Count}: {loaded.Folder}");
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var bar = new ProgressLine(log, members.Count * rows.Count, "teachers' logits");
        float[] logits;
        try { logits = TeacherTargets.MeanLogits(members, batchSize, bar); }
        finally { bar.Finish(); }
        log.WriteLine($"the teachers' logits on {rows.Count:N0} training rows took {clock.Elapsed.TotalSeconds:F0} s; distillation weight {weight}, temperature {temperature}");
        return new TeacherTargets(logits, weight, temperature);
    }
}
