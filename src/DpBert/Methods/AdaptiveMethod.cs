using DpBert.Bert;
using DpBert.Checkpoints;

namespace DpBert.Methods;

/// <summary>
/// One way of adapting BERT's depth to the input: its name, its knob (range, default, the values a trade-off
/// sweep tries) and how to build it from the folders training wrote. The methods of this toolkit are listed
/// together in <c>DpBert.Evaluation.AdaptiveMethods</c>.
/// </summary>
public abstract class AdaptiveMethod
{
    /// <summary>Name in result records and on the command line (<c>full</c>, <c>dpbert</c>, <c>deebert</c>, <c>pabee</c>, <c>static</c>).</summary>
    public abstract string Name { get; }
    /// <summary>One line saying what the method does.</summary>
    public abstract string Description { get; }
    /// <summary>The knob; null for the full model, which has none.</summary>
    public virtual Knob? Knob => null;
    /// <summary>The folder, inside the fine-tuned model's, where the method's own files go by default; null when it needs none.</summary>
    public virtual string? DefaultFolderName => null;
    /// <summary>The command that writes the method's folder (for messages); null when it needs none.</summary>
    public virtual string? TrainingCommand => null;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the knob when <paramref name="value"/> is not allowed for a model of <paramref name="config"/>.</summary>
    public virtual void ValidateKnob(double value, BertConfig config) { }

    /// <summary>The knob's default setting for a model of <paramref name="config"/>.</summary>
    public virtual double DefaultKnob(BertConfig config) => 0;

    /// <summary>The settings a trade-off sweep measures by default.</summary>
    public virtual IReadOnlyList<double> SweepGrid(BertConfig config) => [0];

    /// <summary>
    /// Builds the method on <paramref name="fineTuned"/> (the model fine-tuned at full depth), reading its own files
    /// from <paramref name="folder"/> (default: <see cref="DefaultFolderName"/> inside the fine-tuned model's folder).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The method's folder does not exist; the message names it and the command that writes it.</exception>
    public abstract IAdaptiveClassifier Load(LoadedModel fineTuned, string? folder = null);

    /// <summary>The method's folder: <paramref name="folder"/>, or the default one inside the fine-tuned model's folder; it must exist.</summary>
    protected string RequireFolder(LoadedModel fineTuned, string? folder)
    {
        string path = folder ?? Path.Combine(fineTuned.Folder, DefaultFolderName ?? throw new InvalidOperationException($"{Name} has no folder of its own"));
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"{Name}: folder {path} not found; train it with `{TrainingCommand} --model {fineTuned.Folder} ...` or pass --{Name} <folder>");
        return path;
    }

    /// <summary>A label such as <c>dpbert theta=0.5</c> (the name alone for the full model).</summary>
    public string Label(double? knob) => Knob is { } k && knob is { } v ? $"{Name} {k.Name}={k.Format(v)}" : Name;

    /// <inheritdoc/>
    public override string ToString() => Name;
}
