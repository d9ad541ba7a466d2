using System.IO.Enumeration;

namespace DpBert.Checkpoints;

/// <summary>
/// What <see cref="ParameterCheckpoint.Load(DpBert.Bert.ParameterSet, ICheckpointTensors, ParameterLoadOptions?)"/>
/// tolerates: checkpoint keys the model has no parameter for that may be skipped, and model
/// parameters the checkpoint may lack. Everything else that does not match is an error.
/// </summary>
public sealed record ParameterLoadOptions
{
    /// <summary>
    /// Keys skipped by default: <c>*.position_ids</c> (an int64 buffer transformers &lt; 4.31 saved)
    /// and <c>cls.*</c> (the pre-training heads of Google's checkpoints, which a classifier does not use).
    /// </summary>
    public static IReadOnlyList<string> DefaultIgnoredKeys { get; } = ["*.position_ids", "cls.*"];

    /// <summary>Everything must match except <see cref="DefaultIgnoredKeys"/>.</summary>
    public static ParameterLoadOptions Default { get; } = new();

    /// <summary>
    /// For starting a classifier from a pre-trained checkpoint: <c>classifier.*</c> may be missing
    /// (the caller initialises it and reports so, from <see cref="ParameterLoadReport.Missing"/>).
    /// </summary>
    public static ParameterLoadOptions NewClassifierHead { get; } =
        new() { AllowMissing = key => key.StartsWith("classifier.", StringComparison.Ordinal) };

    /// <summary>
    /// For a masked-LM model from a <c>BertForPreTraining</c> or <c>BertForMaskedLM</c> checkpoint: the
    /// <c>cls.predictions.*</c> head is loaded; the pooler, the next-sentence head (<c>cls.seq_relationship.*</c>) and the
    /// tied decoder weight (<c>cls.predictions.decoder.weight</c>, a copy of the word embeddings) are skipped.
    /// </summary>
    public static ParameterLoadOptions MaskedLanguageModel { get; } = new() { IgnoredKeys = [.. DefaultIgnoredKeys, "bert.pooler.*", "pooler.*"] };

    /// <summary>
    /// Patterns of checkpoint keys to skip when the model has no parameter of that key; <c>*</c>
    /// matches any run of characters (dots included) and <c>?</c> one character. A key the model
    /// does have is always loaded, whatever the patterns say.
    /// </summary>
    public IReadOnlyList<string> IgnoredKeys { get; init; } = DefaultIgnoredKeys;

    /// <summary>
    /// Decides which model parameters the checkpoint may lack; those are left untouched and listed in
    /// <see cref="ParameterLoadReport.Missing"/>. Null: none may be missing.
    /// </summary>
    public Func<string, bool>? AllowMissing { get; init; }

    /// <summary>
    /// Decides which model parameters may have another shape in the checkpoint (a classifier head trained for
    /// another number of labels). Such a tensor is not loaded: the parameter is listed in
    /// <see cref="ParameterLoadReport.Missing"/> (to be re-initialised) and the difference in
    /// <see cref="ParameterLoadReport.ShapeMismatches"/>. Null: every shape must match.
    /// </summary>
    public Func<string, bool>? AllowShapeMismatch { get; init; }

    /// <summary>True when checkpoint key <paramref name="key"/> matches one of <see cref="IgnoredKeys"/>.</summary>
    public bool IsIgnored(string key) =>
        IgnoredKeys.Any(pattern => FileSystemName.MatchesSimpleExpression(pattern, key, ignoreCase: false));
}
