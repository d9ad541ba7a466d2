using System.Runtime.InteropServices;

namespace DpBert.TorchSharp.Native;

/// <summary>
/// glibc's <c>dlopen</c>/<c>dlsym</c>/<c>dlvsym</c>, which <see cref="NativeLibrary"/> does not expose: loading a library
/// with <c>RTLD_GLOBAL</c> (so its symbols satisfy libraries loaded later) and asking for a symbol at one version.
/// Taken from <c>libc.so.6</c> (glibc 2.34 and later), else <c>libdl.so.2</c>.
/// </summary>
internal static unsafe class DynamicLinker
{
    private const int RtldNow = 0x2, RtldGlobal = 0x100;
    private static readonly Lazy<Functions?> Loaded = new(Load);

    private sealed class Functions(nint open, nint symbol, nint versionedSymbol, nint error)
    {
        public delegate* unmanaged<byte*, int, nint> Open => (delegate* unmanaged<byte*, int, nint>)open;
        public delegate* unmanaged<nint, byte*, nint> Symbol => (delegate* unmanaged<nint, byte*, nint>)symbol;
        public delegate* unmanaged<nint, byte*, byte*, nint> VersionedSymbol => (delegate* unmanaged<nint, byte*, byte*, nint>)versionedSymbol;
        public delegate* unmanaged<byte*> Error => (delegate* unmanaged<byte*>)error;
    }

    /// <summary>True on a glibc system (where the functions exist).</summary>
    public static bool IsAvailable => Loaded.Value is not null;

    /// <summary><c>dlopen(path, RTLD_NOW | RTLD_GLOBAL)</c>; throws with <c>dlerror()</c>'s text on failure.</summary>
    public static nint OpenGlobal(string path)
    {
        var f = Loaded.Value ?? throw new PlatformNotSupportedException("dlopen is not available (not a glibc system)");
        nint handle;
        fixed (byte* p = Utf8(path)) handle = f.Open(p, RtldNow | RtldGlobal);
        if (handle == 0) throw new DllNotFoundException($"{path}: {LastError(f)}");
        return handle;
    }

    /// <summary><c>dlopen(name, RTLD_NOW)</c>, or 0 when it cannot be loaded.</summary>
    public static nint TryOpen(string name)
    {
        var f = Loaded.Value;
        if (f is null) return 0;
        fixed (byte* p = Utf8(name)) return f.Open(p, RtldNow);
    }

    /// <summary>True when <paramref name="symbol"/> is visible to every library loaded from now on (<c>dlsym(RTLD_DEFAULT, ...)</c>).</summary>
    public static bool IsGloballyVisible(string symbol)
    {
        var f = Loaded.Value;
        if (f is null) return false;
        fixed (byte* s = Utf8(symbol)) return f.Symbol(0, s) != 0;
    }

    /// <summary>True when the library behind <paramref name="handle"/> (or its dependencies) defines <paramref name="symbol"/> at <paramref name="version"/>.</summary>
    public static bool HasVersionedSymbol(nint handle, string symbol, string version)
    {
        var f = Loaded.Value;
        if (f is null || handle == 0) return false;
        fixed (byte* s = Utf8(symbol))
        fixed (byte* v = Utf8(version))
            return f.VersionedSymbol(handle, s, v) != 0;
    }

    private static Functions? Load()
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (string name in new[] { "libc.so.6", "libdl.so.2" })
        {
            if (!NativeLibrary.TryLoad(name, out var lib)) continue;
            if (NativeLibrary.TryGetExport(lib, "dlopen", out var open) && NativeLibrary.TryGetExport(lib, "dlsym", out var sym)
                && NativeLibrary.TryGetExport(lib, "dlvsym", out var vsym) && NativeLibrary.TryGetExport(lib, "dlerror", out var err))
                return new Functions(open, sym, vsym, err);
        }
        return null;
    }

    private static string LastError(Functions f) => Marshal.PtrToStringUTF8((nint)f.Error()) ?? "unknown dlopen error";

    private static byte[] Utf8(string s) => System.Text.Encoding.UTF8.GetBytes(s + "\0");
}
