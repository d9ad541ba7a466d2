using DpBert.Bert;
using DpBert.Training;

namespace DpBert.Tests;

/// <summary>Central finite differences of a scalar loss against analytic gradients, a few elements per tensor.</summary>
internal static class FiniteDifferences
{
    /// <summary>
    /// Compares <paramref name="grads"/> with <c>(loss(x + h) - loss(x - h)) / 2h</c> at the first, middle and last
    /// element of each tensor of <paramref name="parameters"/> that <paramref name="include"/> selects; adds a line per mismatch.
    /// </summary>
    public static void Check(ParameterSet parameters, ParameterSet grads, Func<double> loss, List<string> failures, Func<string, bool>? include = null)
    {
        foreach (var p in parameters.Parameters.Where(p => include is null || include(p.Name)))
        {
            var values = parameters.Span(p);
            foreach (int i in new[] { 0, p.Length / 2, p.Length - 1 }.Distinct())
            {
                float saved = values[i];
                const float h = 1e-2f;
                values[i] = saved + h; double up = loss();
                values[i] = saved - h; double down = loss();
                values[i] = saved;
                double numerical = (up - down) / (2 * h), analytic = grads.Span(p)[i];
                if (Math.Abs(analytic - numerical) > 5e-4 + 5e-2 * Math.Abs(numerical))
                    failures.Add($"{p.Name}[{i}]: analytic {analytic:G6}, numerical {numerical:G6}");
            }
        }
    }

    /// <summary>
    /// Checks the gradients of one training step of <paramref name="objective"/>, already in <paramref name="grads"/>, against
    /// finite differences of the loss it reports for the same rows and seed (the word embeddings left out: most of their rows get none).
    /// </summary>
    public static void CheckStep(ITrainingObjective objective, ParameterSet parameters, ParameterSet grads, EncodedDataset data, int[] indices, StepContext context)
    {
        double Loss()
        {
            parameters.MarkChanged();
            return objective.ForwardBackward(data, indices, [parameters.CreateLike()], context).Loss;
        }
        var failures = new List<string>();
        Check(parameters, grads, Loss, failures, name => !name.Contains("word_embeddings"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
