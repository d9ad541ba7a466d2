using DpBert.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TorchAdamW = TorchSharp.Modules.AdamW;

namespace DpBert.TorchSharp.Training;

/// <summary>
/// libtorch's AdamW over a module's parameters, grouped as the core engine's <see cref="DpBert.Training.AdamW"/> groups
/// them (<see cref="WeightDecayGrouping"/>: biases and LayerNorm weights are not decayed), with the learning rate set per
/// step from the schedule.
/// </summary>
internal sealed class TorchSharpAdamW
{
    private readonly optim.Optimizer _optimizer;
    private readonly Parameter[] _parameters;

    public TorchSharpAdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, double learningRate, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        var all = parameters.ToList();
        _parameters = all.Select(p => p.Parameter).ToArray();
        var decayed = all.Where(p => WeightDecayGrouping.IsDecayed(p.Name)).Select(p => p.Parameter).ToList();
        var other = all.Where(p => !WeightDecayGrouping.IsDecayed(p.Name)).Select(p => p.Parameter).ToList();
        var groups = new List<TorchAdamW.ParamGroup>();
        if (decayed.Count > 0) groups.Add(new TorchAdamW.ParamGroup(decayed, learningRate, beta1, beta2, epsilon, weightDecay));
        if (other.Count > 0) groups.Add(new TorchAdamW.ParamGroup(other, learningRate, beta1, beta2, epsilon, 0));
        _optimizer = optim.AdamW(groups, learningRate, beta1, beta2, epsilon, weightDecay);
    }

    public void ZeroGrad() => _optimizer.zero_grad();

    /// <summary>The global L2 norm of the gradients before clipping; clips to <paramref name="maxNorm"/> when it is positive.</summary>
    public double ClipGradients(double maxNorm) =>
        nn.utils.clip_grad_norm_(_parameters.Where(p => p.grad is not null), maxNorm > 0 ? maxNorm : double.PositiveInfinity);

    public void Step(double learningRate)
    {
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = learningRate;
        _optimizer.step();
    }
}
