using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using static DpBert.Tensors.MachineCode.Gpr;

namespace DpBert.Tensors.MachineCode;

/// <summary>
/// The inner loop of a 6 x 32 GEMM tile on a dot-product instruction that .NET 10 cannot issue, written as machine code
/// at run time (<see cref="X64Emitter"/>): AVX512-VNNI's <c>vpdpbusd</c> for int8 (<see cref="Int8"/>: four u8 x s8
/// products per 32-bit lane, int32 sums) and AVX512-BF16's <c>vdpbf16ps</c> for bf16 (<see cref="BFloat16"/>: two bf16
/// products per lane, fp32 sums). Each step broadcasts 4 bytes of each of 6 activation rows against 128 bytes of one
/// 32-channel weight sliver (the layouts of <see cref="QuantizedMatrix"/> and <see cref="BFloat16Matrix"/>) into 12 zmm
/// accumulators, stored at the end to <c>acc[6][32]</c>; the caller dequantises or adds the bias as its managed kernels do.
/// </summary>
/// <remarks>
/// Built where the processor reports the instruction (CPUID leaf 7: ECX bit 11 for AVX512-VNNI; subleaf 1, EAX bit 5 for
/// AVX512-BF16) with AVX-512BW, on Linux x64 (System V calling convention, <see cref="ExecutableMemory"/>), unless
/// <c>DPBERT_RUNTIME_CODE=0</c>. Arguments: <c>rdi</c> the six row pointers, <c>rsi</c> the sliver, <c>rdx</c> the number of
/// 4-byte steps, <c>rcx</c> the accumulator block; rbx (callee-saved) is pushed and popped, the rest is caller-saved.
/// </remarks>
internal sealed unsafe class DotProductTileKernel
{
    /// <summary>Activation rows per call.</summary>
    public const int Rows = 6;
    /// <summary>Weight channels per call (one sliver of the 512-bit layouts).</summary>
    public const int Channels = 32;

    /// <summary>The instructions the kernel can be built on.</summary>
    public enum Instruction
    {
        /// <summary><c>vpdpbusd</c>: acc.int32 += four u8 (rows) x s8 (sliver) products.</summary>
        Vpdpbusd,
        /// <summary><c>vdpbf16ps</c>: acc.fp32 += two bf16 x bf16 products.</summary>
        Vdpbf16ps,
    }

    /// <summary>int8: <c>acc[r * 32 + j] = sum over steps p, t &lt; 4 of rows[r][4p + t] * sliver[128p + 4j + t]</c>.</summary>
    public static DotProductTileKernel Int8 { get; } = new(Instruction.Vpdpbusd);

    /// <summary>bf16: <c>acc[r * 32 + j] = sum over steps p, t &lt; 2 of rows[r][2p + t] * sliver[64p + 2j + t]</c> (bf16 elements), in fp32.</summary>
    public static DotProductTileKernel BFloat16 { get; } = new(Instruction.Vdpbf16ps);

    private readonly nint _entry;

    private DotProductTileKernel(Instruction instruction)
    {
        Kind = instruction;
        _entry = Build(instruction, out string status);
        Status = status;
    }

    /// <summary>The instruction this kernel runs on.</summary>
    public Instruction Kind { get; }

    /// <summary>True when the kernel runs on this machine.</summary>
    public bool IsAvailable => _entry != 0;

    /// <summary>What runs and, when it does not, why (for the precision descriptions and benchmark headers).</summary>
    public string Status { get; }

    /// <summary>True when the 512-bit tiles of <paramref name="width"/> can run on this kernel (the GEMMs' default).</summary>
    public bool RunsAt(SimdWidth width) => width == SimdWidth.V512 && IsAvailable;

    /// <summary>Throws, naming <paramref name="parameter"/>, when a caller asks for this kernel at a width it cannot serve.</summary>
    public void CheckRequest(bool requested, SimdWidth width, string parameter)
    {
        if (requested && !RunsAt(width))
            throw new ArgumentException($"the {Kind.ToString().ToLowerInvariant()} kernel runs 512-bit tiles where it is available ({Status}); asked at {width}", parameter);
    }

    /// <summary>Runs <paramref name="steps"/> steps over the six rows and the sliver; overwrites the 192 accumulators.</summary>
    public void Accumulate(void** rows, void* sliver, int steps, void* acc)
    {
        if (_entry == 0) throw new InvalidOperationException($"{Kind} kernel: {Status}");
        // No GC transition: the loop never blocks, never calls back into the runtime and is short (about 2.5 us at
        // BERT-base's longest reduction, k = 3072, on Zen 4; it grows with k), so a GC waits at most that long for this thread.
        ((delegate* unmanaged[SuppressGCTransition]<void**, void*, nint, void*, void>)_entry)(rows, sliver, steps, acc);
    }

    /// <summary>The code (the tests disassemble it).</summary>
    internal static byte[] Assemble(Instruction instruction)
    {
        var e = new X64Emitter();
        Gpr[] row = [R8, R9, R10, R11, Rax, Rdi];                       // rdi, holding the pointer array, is loaded last
        const int b0 = 12, b1 = 13, x0 = 14, x1 = 15;                    // accumulators: zmm0-11, row r in zmm 2r and 2r+1
        e.Push(Rbx);
        for (int r = 0; r < Rows; r++) e.Load64(row[r], new(Rdi, Disp: 8 * r));
        for (int z = 0; z < 2 * Rows; z++) e.Vpxord(z, z, z);            // zero bits are 0 in int32 and in fp32
        e.Zero(Rbx);                                                    // rbx: byte offset into each row, 4 per step
        e.ShiftLeft(Rdx, 2);                                            // rdx: its end, 4 * steps
        e.Test(Rdx);
        int skip = e.JumpIfZeroForward();
        int loop = e.Position;
        e.Vmovdqu32Load(b0, new(Rsi));
        e.Vmovdqu32Load(b1, new(Rsi, Disp: 64));
        for (int r = 0; r < Rows; r++)
        {
            int x = r % 2 == 0 ? x0 : x1;
            e.VpbroadcastdLoad(x, new(row[r], Rbx));
            for (int half = 0; half < 2; half++)
            {
                int acc = 2 * r + half, w = half == 0 ? b0 : b1;
                if (instruction == Instruction.Vpdpbusd) e.Vpdpbusd(acc, x, w);
                else e.Vdpbf16ps(acc, x, w);
            }
        }
        e.Add(Rsi, 128);
        e.Add(Rbx, 4);
        e.Compare(Rbx, Rdx);
        e.JumpIfBelow(loop);
        e.PatchJump(skip);
        for (int z = 0; z < 2 * Rows; z++) e.Vmovdqu32Store(new(Rcx, Disp: 64 * z), z);
        e.Vzeroupper();
        e.Pop(Rbx);
        e.Ret();
        return e.ToArray();
    }

    /// <summary>True when the processor reports the instruction's extension (read with CPUID).</summary>
    internal static bool ProcessorHas(Instruction instruction) => X86Base.IsSupported && instruction switch
    {
        Instruction.Vpdpbusd => (X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0,
        _ => (X86Base.CpuId(7, 1).Eax & (1 << 5)) != 0,
    };

    /// <summary>The extension's name, as Intel's manuals and Linux's /proc/cpuinfo (in lower case) call it.</summary>
    internal static string Extension(Instruction instruction) => instruction == Instruction.Vpdpbusd ? "AVX512-VNNI" : "AVX512-BF16";

    private static nint Build(Instruction instruction, out string status)
    {
        string name = $"{Extension(instruction)} ({instruction.ToString().ToLowerInvariant()})";
        if (Environment.GetEnvironmentVariable("DPBERT_RUNTIME_CODE") is "0")
        {
            status = $"{name} not used (DPBERT_RUNTIME_CODE=0)";
            return 0;
        }
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64 || !Avx512BW.IsSupported || !ProcessorHas(instruction))
        {
            status = $"no {Extension(instruction)} on this processor";
            return 0;
        }
        if (!OperatingSystem.IsLinux())
        {
            status = $"{name} present, but its run-time kernel is built on Linux only";
            return 0;
        }
        nint entry;
        string failure;
        try
        {
            if (!ExecutableMemory.TryPlace(Assemble(instruction), out entry, out failure)) entry = 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException)
        {
            (entry, failure) = (0, ex.Message);   // a libc without mmap/mprotect: the type must still initialise, with the fallbacks
        }
        if (entry == 0)
        {
            status = $"{name} present, but its kernel could not be placed: {failure}";
            return 0;
        }
        status = $"{name}, machine code written at run time";
        return entry;
    }
}
