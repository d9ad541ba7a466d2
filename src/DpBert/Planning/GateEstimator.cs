namespace DpBert.Planning;

/// <summary>How stage two turns the planner's logits into training gates and gets a gradient back to them.</summary>
public enum GateEstimator
{
    /// <summary>
    /// Straight-through hard Gumbel-sigmoid (<see cref="GumbelGate"/>): the gradient of the loss with respect to each
    /// gate, through the relaxation, at an annealed temperature. The default.
    /// </summary>
    StraightThrough,

    /// <summary>
    /// Policy gradient (<see cref="PlanPolicyGradient"/>): each input's plan is sampled from the planner's Bernoulli
    /// probabilities and scored by its own reward (its loss and its cost in layers); the planner moves towards plans
    /// that scored above the rest of the batch. No gradient goes through the gates themselves.
    /// </summary>
    Reinforce,
}

/// <summary>Names of <see cref="GateEstimator"/> as the command line and DPBERT folders write them.</summary>
public static class GateEstimators
{
    /// <summary><c>straight-through</c> or <c>reinforce</c>.</summary>
    public static string Name(GateEstimator estimator) => estimator == GateEstimator.Reinforce ? "reinforce" : "straight-through";

    /// <summary>Parses <c>straight-through</c> or <c>reinforce</c>.</summary>
    /// <exception cref="ArgumentException">Any other text; the message names it.</exception>
    public static GateEstimator Parse(string text) => text switch
    {
        "straight-through" => GateEstimator.StraightThrough,
        "reinforce" => GateEstimator.Reinforce,
        _ => throw new ArgumentException($"gate estimator \"{text}\" is not one of straight-through, reinforce"),
    };
}
