using TorchSharp;

namespace DpBert.TorchSharp.Tests;

/// <summary>Devices: names are parsed with errors that name the value, and a device libtorch does not have here is refused clearly.</summary>
public class RuntimeTests
{
    [Fact]
    public void Cpu_initialises_and_device_names_are_checked()
    {
        Assert.Equal(DeviceType.CPU, TorchSharpRuntime.Initialize("CPU").type);
        Assert.Equal(1, TorchSharpRuntime.ParseDevice("cuda:1").index);
        Assert.Contains("\"tpu9\"", Assert.Throws<ArgumentException>(() => TorchSharpRuntime.ParseDevice("tpu9")).Message);
    }

    [Fact]
    public void A_device_libtorch_does_not_have_is_refused_with_a_message_naming_it()
    {
        TorchSharpRuntime.Initialize();
        if (torch.cuda.is_available()) return; // this check is about machines without CUDA
        var e = Assert.Throws<TorchSharpUnavailableException>(() => TorchSharpRuntime.Initialize("cuda"));
        Assert.Contains("CUDA", e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<NotSupportedException>(e);
        using var stillWorks = torch.ones(2);
        Assert.Equal(2f, stillWorks.sum().item<float>());
    }
}
