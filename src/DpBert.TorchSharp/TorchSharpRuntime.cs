using DpBert.TorchSharp.Native;
using TorchSharp;

namespace DpBert.TorchSharp;

/// <summary>libtorch could not be loaded; the message says why and what to do.</summary>
public sealed class TorchSharpUnavailableException(string message, Exception? inner = null) : NotSupportedException(message, inner);

/// <summary>
/// Loads libtorch once per process, applying <see cref="LibStdCxxCompatibility"/> first where the system's libstdc++ is
/// too old (Debian 12), and turns device names (<c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>) into initialised devices. Every
/// entry point of this package calls it, so a user never has to.
/// </summary>
public static class TorchSharpRuntime
{
    private static readonly Lock Gate = new();
    private static LibStdCxxFixReport? _fix;
    private static TorchSharpUnavailableException? _fixFailure;
    private static bool _reported;
    private static readonly HashSet<DeviceType> Initialised = [];

    /// <summary>
    /// Where the one-line report of the compatibility fix goes, on the first <see cref="Initialize"/> after a fix was needed
    /// (default: standard error; a notebook may prefer standard output).
    /// </summary>
    public static Action<string> Log { get; set; } = line => Console.Error.WriteLine(line);

    /// <summary>What the compatibility check found (null before the first initialisation).</summary>
    public static LibStdCxxFixReport? CompatibilityFix { get { lock (Gate) return _fix; } }

    /// <summary>
    /// Runs when this assembly is first used, before any of its modules can be constructed: applies the compatibility fix
    /// where it is needed, so that TorchSharp's own first native call (a module's constructor) finds a loadable wrapper.
    /// Failures are kept for <see cref="Initialize"/> to report, never thrown here.
    /// </summary>
#pragma warning disable CA2255 // A library initialiser on purpose: the fix must precede TorchSharp's first native call, whichever type the user touches first.
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void PrepareNativeLibraries()
    {
        try { ApplyCompatibilityFix(); }
        catch (TorchSharpUnavailableException) { }
    }

    /// <summary>
    /// Loads libtorch for <paramref name="device"/> (default <c>cpu</c>) and returns the device.
    /// </summary>
    /// <exception cref="TorchSharpUnavailableException">libtorch does not load, or the device is not available; the message says why.</exception>
    /// <exception cref="ArgumentException">The device name is malformed.</exception>
    public static torch.Device Initialize(string device = "cpu")
    {
        lock (Gate)
        {
            ApplyCompatibilityFix();
            if (_fix!.Needed && !_reported)
            {
                _reported = true;
                Log($"DpBert.TorchSharp: {_fix}");
            }
            var parsed = ParseDevice(device);
            if (!Initialised.Contains(parsed.type))
            {
                try { torch.InitializeDeviceType(parsed.type); }
                catch (Exception e) when (e is NotSupportedException or InvalidOperationException or DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
                {
                    string hint = _fix is { Needed: true }
                        ? $" This system's libstdc++ lacks {LibStdCxxCompatibility.Version}; the compatibility fix reported: {_fix}. See README.md, section \"TorchSharp on older Linux distributions\"."
                        : "";
                    throw new TorchSharpUnavailableException($"libtorch ({parsed.type}) did not load: {FirstLine(e)}.{hint}", e);
                }
                Initialised.Add(parsed.type);
            }
            return parsed;
        }
    }

    private static void ApplyCompatibilityFix()
    {
        lock (Gate)
        {
            if (_fixFailure is not null) throw _fixFailure;
            if (_fix is not null) return;
            string torchSharpDirectory = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory;
            try { _fix = LibStdCxxCompatibility.EnsureApplied(torchSharpDirectory); }
            catch (Exception e) when (e is InvalidOperationException or DllNotFoundException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                _fixFailure = new TorchSharpUnavailableException($"libtorch cannot load here: {e.Message}", e);
                throw _fixFailure;
            }
        }
    }

    /// <summary>Parses <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> (and anything else TorchSharp names), with an error naming the value.</summary>
    /// <exception cref="ArgumentException">Not a device name.</exception>
    public static torch.Device ParseDevice(string device)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        try { return new torch.Device(device.Trim().ToLowerInvariant()); }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new ArgumentException($"--device \"{device}\" is not a device (cpu, cuda, cuda:0, ...): {e.Message}", nameof(device), e);
        }
    }

    private static string FirstLine(Exception e)
    {
        var inner = e is TypeInitializationException { InnerException: { } i } ? i : e;
        string message = inner.Message;
        int newline = message.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? message : message[..newline].TrimEnd();
    }
}
