using DpBert.Planning;
using DpBert.TorchSharp.Bert;
using static TorchSharp.torch;

namespace DpBert.TorchSharp.Planning;

/// <summary>The loss of one stage-two step and its parts (scalars on the model's device; <see cref="Loss"/> is attached to the graph).</summary>
/// <param name="Loss">Total loss: <c>(1 - a) * task + a * distillation + lambda * (mean gate - rho)^2</c>.</param>
/// <param name="TaskLoss">Cross-entropy (or MSE for regression) against the labels.</param>
/// <param name="GateMean">Mean forward gate over the batch and the planned layers.</param>
public sealed record DpBertLoss(Tensor Loss, Tensor TaskLoss, Tensor GateMean) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Loss.Dispose();
        TaskLoss.Dispose();
        GateMean.Dispose();
    }
}

/// <summary>
/// DPBERT's stage-two objective, the same formulas as the core engine's <see cref="DpBert.Planning.PlannerObjective"/>:
/// the task loss blended with distillation from the full-depth model's logits (<c>T^2 KL(softmax(t/T) || softmax(s/T))</c>
/// averaged over rows, or the mean squared difference for regression), plus the budget penalty
/// <c>lambda * (mean gate - rho)^2</c> with the mean over the batch and the planned layers.
/// </summary>
public static class DpBertObjective
{
    /// <summary>The loss of a gated forward.</summary>
    /// <param name="model">The backbone (task loss, regression or not).</param>
    /// <param name="output">The gated forward's logits and gates.</param>
    /// <param name="labels">Class ids (int64, B) or regression targets (float, B).</param>
    /// <param name="teacherLogits">The full-depth model's logits (B, num_labels); required when the distillation weight is positive.</param>
    /// <param name="options">rho, lambda, distillation weight and temperature.</param>
    /// <exception cref="ArgumentException">Distillation is on and no teacher logits are given.</exception>
    public static DpBertLoss Compute(BertForSequenceClassification model, GatedOutput output, Tensor labels, Tensor? teacherLogits, PlannerTrainingOptions options)
    {
        using var scope = NewDisposeScope();
        var task = model.TaskLoss(output.Logits, labels);
        var loss = task;
        double alpha = options.DistillationWeight;
        if (alpha > 0)
        {
            if (teacherLogits is null) throw new ArgumentException($"distillation weight {alpha} needs the teacher's logits", nameof(teacherLogits));
            loss = (1 - alpha) * task + alpha * Distillation(output.Logits, teacherLogits.detach(), model.IsRegression, options.DistillationTemperature);
        }
        var gateMean = output.Gates.mean();
        loss = loss + options.Lambda * (gateMean - options.Rho).square();
        return new DpBertLoss(loss.MoveToOuterDisposeScope(), task.detach().MoveToOuterDisposeScope(), gateMean.detach().MoveToOuterDisposeScope());
    }

    /// <summary>Distillation loss of <paramref name="student"/> from <paramref name="teacher"/> (both (B, num_labels)).</summary>
    public static Tensor Distillation(Tensor student, Tensor teacher, bool regression, double temperature)
    {
        using var scope = NewDisposeScope();
        if (regression) return (student - teacher).square().mean().MoveToOuterDisposeScope();
        var logP = nn.functional.log_softmax(teacher / temperature, -1);
        var logQ = nn.functional.log_softmax(student / temperature, -1);
        var kl = (logP.exp() * (logP - logQ)).sum(-1).mean();
        return (kl * (temperature * temperature)).MoveToOuterDisposeScope();
    }
}
