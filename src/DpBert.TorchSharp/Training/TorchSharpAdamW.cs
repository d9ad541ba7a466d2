using DpBert.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchAdamW = TorchSharp.Modules.AdamW;

namespace DpBert.TorchSharp.Training;

/// <summary>
/// libtorch's AdamW over a module's parameters, grouped as the core engine's <see cref="DpBert.Training.AdamW"/> groups
/// them (<see cref="WeightDecayGrouping"/>: biases and LayerNorm weights are not decayed), with the learning rate set per
/// step from the schedule, times each parameter's learning-rate scale (e.g. <see cref="LayerwiseLearningRate"/>): one
/// parameter group per decay flag and scale.
/// </summary>
internal sealed class TorchSharpAdamW
{
    private readonly optim.Optimizer _optimizer;
    private readonly Parameter[] _parameters;
    private readonly double[] _groupScales; // the learning-rate scale of each of the optimizer's groups, in order

    public TorchSharpAdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, double learningRate, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8,
        Func<string, double>? learningRateScale = null)
    {
        var all = parameters.ToList();
        _parameters = all.Select(p => p.Parameter).ToArray();
        var byGroup = all.GroupBy(p => (Decayed: WeightDecayGrouping.IsDecayed(p.Name), Scale: learningRateScale?.Invoke(p.Name) ?? 1)).ToList();
        var groups = byGroup.Select(g => new TorchAdamW.ParamGroup(g.Select(p => p.Parameter), learningRate * g.Key.Scale, beta1, beta2, epsilon, g.Key.Decayed ? weightDecay : 0)).ToList();
        _groupScales = byGroup.Select(g => g.Key.Scale).ToArray();
        _optimizer = optim.AdamW(groups, learningRate, beta1, beta2, epsilon, weightDecay);
    }

    public void ZeroGrad() => _optimizer.zero_grad();

    /// <summary>The global L2 norm of the gradients before clipping; clips to <paramref name="maxNorm"/> when it is positive.</summary>
    public double ClipGradients(double maxNorm) =>
        nn.utils.clip_grad_norm_(_parameters.Where(p => p.grad is not null), maxNorm > 0 ? maxNorm : double.PositiveInfinity);

    public void Step(double learningRate)
    {
        foreach (var (group, scale) in _optimizer.ParamGroups.Zip(_groupScales)) group.LearningRate = learningRate * scale;
        _optimizer.step();
    }
}
