using System.Runtime.InteropServices;

namespace DpBert.Tensors.MachineCode;

/// <summary>
/// Places machine code in memory the processor may execute: a private anonymous mapping is written, then made
/// read + execute (never writable and executable at once). Linux only (libc <c>mmap</c>/<c>mprotect</c>); the pages
/// live as long as the process, since the kernels built in them are static.
/// </summary>
internal static partial class ExecutableMemory
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20;

    /// <summary>Copies <paramref name="code"/> into new executable pages; on failure returns false and says why.</summary>
    public static unsafe bool TryPlace(byte[] code, out nint address, out string failure)
    {
        address = 0;
        failure = "";
        if (!OperatingSystem.IsLinux())
        {
            failure = "run-time machine code is placed with Linux's mmap only";
            return false;
        }
        nuint length = (nuint)((code.Length + 4095) & ~4095);
        nint p = Mmap(0, length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (p == -1)
        {
            failure = $"mmap of {length} bytes failed (errno {Marshal.GetLastPInvokeError()})";
            return false;
        }
        code.CopyTo(new Span<byte>((void*)p, code.Length));
        if (Mprotect(p, length, ProtRead | ProtExec) != 0)
        {
            failure = $"mprotect to read + execute failed (errno {Marshal.GetLastPInvokeError()}; a policy forbidding executable mappings?)";
            Munmap(p, length);
            return false;
        }
        address = p;
        return true;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);
}
