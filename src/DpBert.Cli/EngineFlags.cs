using System.CommandLine;
using System.Reflection;
using DpBert.Bert;
using DpBert.Planning;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Cli;

/// <summary>
/// <c>--engine core|torchsharp</c> and <c>--device</c> for <c>finetune</c>, <c>plan</c> and <c>predict</c>. The core engine
/// (the default) runs on the CPU. The TorchSharp engine lives in the DpBert.TorchSharp assembly, which this command line
/// does not reference by default (it would bring libtorch's ~600 MB to every build): it is loaded by name when asked for,
/// from a build made with <c>-p:WithTorchSharp=true</c> (or any host that references it), and bound to typed delegates,
/// so a signature drift fails with a clear message instead of at an arbitrary call.
/// </summary>
internal sealed class EngineFlags
{
    private const string EngineAssembly = "DpBert.TorchSharp", EngineType = "DpBert.TorchSharp.TorchSharpEngine";

    private readonly Option<string> _engine = new("--engine")
    {
        Description = "Training and inference engine: core (this project's CPU kernels) or torchsharp (libtorch through TorchSharp; build with -p:WithTorchSharp=true).",
        DefaultValueFactory = _ => "core",
    };
    private readonly Option<string> _device = new("--device") { Description = "Device of the torchsharp engine: cpu, cuda, cuda:N (the core engine runs on the CPU).", DefaultValueFactory = _ => "cpu" };

    public void AddTo(Command command)
    {
        _engine.AcceptOnlyFromAmong("core", "torchsharp");
        command.Options.Add(_engine);
        command.Options.Add(_device);
    }

    /// <summary>True for the TorchSharp engine; the device, validated against the engine.</summary>
    public (bool TorchSharp, string Device) Read(ParseResult parse)
    {
        bool torchSharp = parse.GetValue(_engine) == "torchsharp";
        string device = parse.GetValue(_device)!;
        if (!torchSharp && !device.Equals("cpu", StringComparison.OrdinalIgnoreCase))
            throw new CliInputException($"--device {device}: the core engine runs on the CPU; use --engine torchsharp for other devices");
        return (torchSharp, device);
    }

    public delegate TrainingResult Finetune(BertForSequenceClassification model, BertTokenizer tokenizer, TrainingOptions options, EncodedDataset train, EncodedDataset? eval,
        MetricFunction metrics, string mainMetric, string outputDir, string device, IProgress<TrainingProgress>? progress, CancellationToken cancellation);

    public delegate PlannerTrainingResult Plan(BertForSequenceClassification model, BertTokenizer tokenizer, PlannerTrainingOptions options, EncodedDataset train, EncodedDataset? eval,
        MetricFunction metrics, string outputDir, string device, IProgress<TrainingProgress>? progress, CancellationToken cancellation);

    public delegate Func<BertBatch, float[]> Forward(BertForSequenceClassification model, string device);

    /// <summary>The TorchSharp engine's entry point <paramref name="method"/> as a typed delegate.</summary>
    /// <exception cref="CliInputException">The engine is not part of this build, or does not have that entry point.</exception>
    public static T TorchSharp<T>(string method) where T : Delegate
    {
        Assembly assembly;
        try { assembly = Assembly.Load(new AssemblyName(EngineAssembly)); }
        catch (FileNotFoundException)
        {
            throw new CliInputException($"--engine torchsharp: the TorchSharp engine ({EngineAssembly}) is not part of this build of dpbert; "
                + "build it in with `dotnet run --project src/DpBert.Cli -c Release -p:WithTorchSharp=true -- ...` (restores libtorch, about 600 MB)");
        }
        var info = assembly.GetType(EngineType)?.GetMethod(method, BindingFlags.Public | BindingFlags.Static)
            ?? throw new CliInputException($"{assembly.Location}: {EngineType}.{method} not found; the TorchSharp engine does not match this dpbert");
        try { return info.CreateDelegate<T>(); }
        catch (ArgumentException e) { throw new CliInputException($"{assembly.Location}: {EngineType}.{method} does not match this dpbert ({e.Message})"); }
    }
}
