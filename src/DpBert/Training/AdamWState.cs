namespace DpBert.Training;

/// <summary>
/// What a checkpoint stores to resume <see cref="AdamW"/> exactly: the number of steps taken and both
/// moment blocks, in the parameter table's order (PyTorch's <c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>).
/// </summary>
/// <param name="Step">Number of optimizer steps taken; the next step's bias correction uses <c>Step + 1</c>.</param>
/// <param name="FirstMoment">The first moment <c>m</c>, one float per parameter.</param>
/// <param name="SecondMoment">The second moment <c>v</c>, one float per parameter.</param>
public sealed record AdamWState(long Step, float[] FirstMoment, float[] SecondMoment);
