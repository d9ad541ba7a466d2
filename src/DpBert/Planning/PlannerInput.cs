namespace DpBert.Planning;

/// <summary>What the planner reads after the always-run layers.</summary>
public enum PlannerInput
{
    /// <summary>The [CLS] hidden state (the default, and the only input of folders written before this choice existed).</summary>
    Cls,

    /// <summary>
    /// The mean of the hidden states of the input's real tokens (attention mask 1). In models pre-trained for sentence
    /// embeddings with mean pooling (all-MiniLM-L6-v2), [CLS] after the first layers carries almost nothing about the
    /// input: exit heads on it stay at the majority class, and a planner reading it gives every input the same plan.
    /// </summary>
    Mean,
}

/// <summary>Names of <see cref="PlannerInput"/> in folders and on the command line.</summary>
public static class PlannerInputs
{
    /// <summary><c>cls</c> or <c>mean</c>.</summary>
    public static string Name(PlannerInput input) => input == PlannerInput.Mean ? "mean" : "cls";

    /// <summary>Parses <c>cls</c> or <c>mean</c>.</summary>
    /// <exception cref="ArgumentException">Any other text; the message names it.</exception>
    public static PlannerInput Parse(string text) => text switch
    {
        "cls" => PlannerInput.Cls,
        "mean" => PlannerInput.Mean,
        _ => throw new ArgumentException($"planner input \"{text}\" is not one of cls, mean"),
    };
}
