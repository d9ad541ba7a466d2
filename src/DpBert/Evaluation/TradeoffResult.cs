namespace DpBert.Evaluation;

/// <summary>
/// A trade-off sweep on one task: every method over its knob, and the points no other point beats on both
/// metric and batch-1 latency (the Pareto front, ordered by latency).
/// </summary>
/// <param name="Task">GLUE task name.</param>
/// <param name="MetricName">The main metric of the task.</param>
/// <param name="Points">All measured points, the full model first.</param>
/// <param name="ParetoFront">The non-dominated points, fastest first.</param>
public sealed record TradeoffResult(string Task, string MetricName, IReadOnlyList<MethodResult> Points, IReadOnlyList<MethodResult> ParetoFront);
