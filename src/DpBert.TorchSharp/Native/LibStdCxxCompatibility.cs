using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace DpBert.TorchSharp.Native;

/// <summary>What <see cref="LibStdCxxCompatibility.EnsureApplied"/> found and did.</summary>
/// <param name="Needed">False on systems whose libstdc++ provides <c>GLIBCXX_3.4.32</c> (and on Windows and macOS): nothing was done.</param>
/// <param name="PatchedWrappers">Copies of <c>libLibTorchSharp.so</c> whose <c>GLIBCXX_3.4.32</c> requirement this call marked weak.</param>
/// <param name="WeakWrappers">Every copy found that is now weak (patched now or before).</param>
/// <param name="Problems">Copies that could not be patched (read-only, say), with the reason.</param>
/// <param name="Shim">The library defining <c>std::ios_base_library_init()</c> loaded with <c>RTLD_GLOBAL</c> (null when the symbol was already visible, e.g. through <c>LD_PRELOAD</c>).</param>
public sealed record LibStdCxxFixReport(bool Needed, IReadOnlyList<string> PatchedWrappers, IReadOnlyList<string> WeakWrappers, IReadOnlyList<string> Problems, string? Shim)
{
    /// <summary>One line for a log.</summary>
    public override string ToString() => !Needed
        ? "libstdc++ provides GLIBCXX_3.4.32: no compatibility fix needed"
        : $"libstdc++ lacks GLIBCXX_3.4.32: {WeakWrappers.Count} libLibTorchSharp.so cop{(WeakWrappers.Count == 1 ? "y" : "ies")} with the requirement weak ({PatchedWrappers.Count} patched now), "
          + $"std::ios_base_library_init() from {Shim ?? "a library already loaded (LD_PRELOAD)"}"
          + (Problems.Count > 0 ? $"; not patched: {string.Join("; ", Problems)}" : "");
}

/// <summary>
/// Lets TorchSharp 0.107's native wrapper load on distributions whose libstdc++ predates GCC 13 (Debian 12 has
/// GLIBCXX up to 3.4.30). <c>libLibTorchSharp.so</c> requires the version <c>GLIBCXX_3.4.32</c> for exactly one symbol,
/// <c>std::ios_base_library_init()</c> (GCC 13's iostream initialisation hook, an empty function). The fix, applied only
/// when libstdc++ does not define that symbol at that version:
/// <list type="number">
/// <item>in every copy of <c>libLibTorchSharp.so</c> that TorchSharp may load (build output, NuGet package folder, its
/// consolidated copy), set <c>VER_FLG_WEAK</c> on the <c>GLIBCXX_3.4.32</c> entry of <c>.gnu.version_r</c>
/// (<see cref="ElfVersionNeeds"/>), so the missing version is no longer fatal;</item>
/// <item>make the symbol itself visible before TorchSharp loads: a one-line library, compiled once with the machine's
/// <c>g++</c> into the user's cache (or the file named by <c>DPBERT_LIBSTDCXX_SHIM</c>), loaded with
/// <c>RTLD_GLOBAL</c>; nothing is loaded when the symbol is already visible (<c>LD_PRELOAD</c>).</item>
/// </list>
/// Each step is checked (the flag re-read, the symbol looked up); on current distributions, Windows and macOS nothing happens.
/// </summary>
public static class LibStdCxxCompatibility
{
    /// <summary>The library and version the wrapper requires.</summary>
    public const string Library = "libstdc++.so.6", Version = "GLIBCXX_3.4.32";
    /// <summary>The one symbol that needs it.</summary>
    public const string Symbol = "_ZSt21ios_base_library_initv";
    /// <summary>Environment variable naming a prebuilt shim library (optional).</summary>
    public const string ShimVariable = "DPBERT_LIBSTDCXX_SHIM";
    /// <summary>The file name of TorchSharp's native wrapper on Linux.</summary>
    public const string WrapperFileName = "libLibTorchSharp.so";

    /// <summary>The shim's whole source: GCC 13's hook has nothing to do when libstdc++ initialises iostreams itself, as older ones do.</summary>
    public const string ShimSource = "namespace std { void ios_base_library_init() {} }\n";

    /// <summary>True when this system's libstdc++ defines <see cref="Symbol"/> at <see cref="Version"/> (or this is not glibc Linux: nothing to fix).</summary>
    public static bool SystemProvidesVersion()
    {
        if (!OperatingSystem.IsLinux() || !DynamicLinker.IsAvailable) return true;
        nint handle = DynamicLinker.TryOpen(Library);
        return handle == 0 || DynamicLinker.HasVersionedSymbol(handle, Symbol, Version);
    }

    /// <summary>
    /// Applies the fix where it is needed (see the class summary) for the TorchSharp assembly in <paramref name="torchSharpDirectory"/>.
    /// Call before the first TorchSharp operation; safe to call again.
    /// </summary>
    /// <exception cref="InvalidOperationException">The symbol could not be made visible (no g++ and no <c>DPBERT_LIBSTDCXX_SHIM</c>); the message says what to install.</exception>
    public static LibStdCxxFixReport EnsureApplied(string torchSharpDirectory)
    {
        if (SystemProvidesVersion()) return new(false, [], [], [], null);
        var patched = new List<string>();
        var weak = new List<string>();
        var problems = new List<string>();
        foreach (string wrapper in WrapperCandidates(torchSharpDirectory))
        {
            try
            {
                if (ElfVersionNeeds.MarkWeak(wrapper, Library, Version)) patched.Add(wrapper);
                if (ElfVersionNeeds.Read(wrapper).Single(n => n.Library == Library && n.Version == Version).IsWeak) weak.Add(wrapper);
                else problems.Add($"{wrapper}: the flag did not stick");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                problems.Add($"{wrapper}: {e.Message}");
            }
        }
        string? shim = null;
        if (!DynamicLinker.IsGloballyVisible(Symbol))
        {
            shim = Environment.GetEnvironmentVariable(ShimVariable) is { Length: > 0 } given ? given : BuildShim();
            DynamicLinker.OpenGlobal(shim);
            if (!DynamicLinker.IsGloballyVisible(Symbol))
                throw new InvalidOperationException($"{shim} was loaded but {Symbol} (std::ios_base_library_init) is still not visible; is it the right library?");
        }
        return new(true, patched, weak, problems, shim);
    }

    /// <summary>
    /// Every copy of <c>libLibTorchSharp.so</c> TorchSharp may load from <paramref name="torchSharpDirectory"/> (the folder of
    /// TorchSharp.dll): beside it, under <c>runtimes/&lt;rid&gt;/native</c>, in TorchSharp's consolidated <c>cpu</c>/<c>cuda-*</c>
    /// folders, in the NuGet package layout (<c>../../runtimes</c>), and in the runtime's native search directories.
    /// </summary>
    public static IReadOnlyList<string> WrapperCandidates(string torchSharpDirectory)
    {
        string rid = "linux-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var folders = new List<string>
        {
            torchSharpDirectory,
            Path.Combine(torchSharpDirectory, "runtimes", rid, "native"),
            Path.Combine(torchSharpDirectory, "cpu"),
            Path.Combine(torchSharpDirectory, "..", "..", "runtimes", rid, "native"),
            AppContext.BaseDirectory,
            Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native"),
        };
        if (Directory.Exists(torchSharpDirectory)) folders.AddRange(Directory.GetDirectories(torchSharpDirectory, "cuda-*"));
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
            folders.AddRange(searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return folders.Select(f => Path.GetFullPath(Path.Combine(f, WrapperFileName))).Where(File.Exists).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Compiles <see cref="ShimSource"/> with <c>g++</c> into <c>$XDG_CACHE_HOME/dpbert</c> (else <c>~/.cache/dpbert</c>) once,
    /// and returns the library's path. Built under a temporary name and renamed, so concurrent processes never load half a file.
    /// </summary>
    /// <exception cref="InvalidOperationException">g++ is missing or fails; the message says how to provide the library instead.</exception>
    public static string BuildShim()
    {
        string cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        string folder = Path.Combine(cache, "dpbert");
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ShimSource)))[..12];
        string library = Path.Combine(folder, $"libdpbert_ios_base_init-{hash}.so");
        if (File.Exists(library)) return library;
        Directory.CreateDirectory(folder);
        string source = Path.Combine(folder, $"ios_base_init-{hash}-{Environment.ProcessId}.cpp");
        string temp = library + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(source, ShimSource);
        try
        {
            var start = new ProcessStartInfo("g++") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string arg in new[] { "-shared", "-fPIC", "-O2", "-o", temp, source }) start.ArgumentList.Add(arg);
            Process process;
            try { process = Process.Start(start) ?? throw new InvalidOperationException("g++ did not start"); }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException(
                    $"this system's libstdc++ lacks {Version} (needed by TorchSharp's libLibTorchSharp.so), and the compatibility library cannot be built: g++ was not found ({e.Message}). "
                    + $"Install g++ (apt-get install g++), or build it elsewhere with `echo '{ShimSource.Trim()}' | g++ -x c++ -shared -fPIC -o libdpbert_ios_base_init.so -` and set {ShimVariable} to its path.", e);
            }
            using (process)
            {
                string stderr = process.StandardError.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode != 0) throw new InvalidOperationException($"g++ failed to build {library} (exit {process.ExitCode}): {stderr.Trim()}");
            }
            File.Move(temp, library, overwrite: true);
            return library;
        }
        finally
        {
            File.Delete(source);
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
