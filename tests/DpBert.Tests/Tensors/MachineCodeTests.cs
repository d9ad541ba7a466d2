using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using DpBert.Tensors;
using DpBert.Tensors.MachineCode;
using static DpBert.Tensors.MachineCode.Gpr;

namespace DpBert.Tests.Tensors;

/// <summary>
/// The run-time machine code (<see cref="X64Emitter"/>, <see cref="DotProductTileKernel"/>) checked against GNU
/// objdump's disassembly of the same bytes (binutils; CI installs it), and the kernels' availability against the
/// processor flags Linux reports in /proc/cpuinfo. Their arithmetic is checked with the other kernels of their
/// precision in <see cref="QuantizedGemmTests"/> and <see cref="BFloat16GemmTests"/>.
/// </summary>
public unsafe partial class MachineCodeTests
{
    [Theory]
    [InlineData("vpdpbusd")]
    [InlineData("vdpbf16ps")]
    public void The_dot_product_kernel_disassembles_to_the_loop_it_is_meant_to_be(string op)
    {
        var instruction = Enum.Parse<DotProductTileKernel.Instruction>(op, ignoreCase: true);
        string[] rows = ["r8", "r9", "r10", "r11", "rax", "rdi"];
        var expected = new List<string> { "push rbx" };
        for (int r = 0; r < 6; r++) expected.Add($"mov {rows[r]},QWORD PTR [rdi{(r == 0 ? "" : $"+0x{8 * r:x}")}]");
        for (int z = 0; z < 12; z++) expected.Add($"vpxord zmm{z},zmm{z},zmm{z}");
        expected.AddRange(["xor ebx,ebx", "shl rdx,0x2", "test rdx,rdx", "je <done>",
            "vmovdqu32 zmm12,ZMMWORD PTR [rsi]", "vmovdqu32 zmm13,ZMMWORD PTR [rsi+0x40]"]);
        for (int r = 0; r < 6; r++)
        {
            int x = 14 + r % 2;
            expected.Add($"vpbroadcastd zmm{x},DWORD PTR [{rows[r]}+rbx*1]");
            expected.Add($"{op} zmm{2 * r},zmm{x},zmm12");
            expected.Add($"{op} zmm{2 * r + 1},zmm{x},zmm13");
        }
        expected.AddRange(["add rsi,0x80", "add rbx,0x4", "cmp rbx,rdx", "jb <loop>"]);
        for (int z = 0; z < 12; z++) expected.Add($"vmovdqu32 ZMMWORD PTR [rcx{(z == 0 ? "" : $"+0x{64 * z:x}")}],zmm{z}");
        expected.AddRange(["vzeroupper", "pop rbx", "ret"]);

        var listing = Disassemble(DotProductTileKernel.Assemble(instruction));
        var text = listing.Select(i => i.Text).ToList();
        // The two jumps: the skip lands on the first store, the loop branch on the first load of the sliver.
        int skip = text.FindIndex(t => t.StartsWith("je ")), back = text.FindIndex(t => t.StartsWith("jb "));
        Assert.True(skip >= 0 && back >= 0, string.Join("\n", text));
        Assert.Equal(listing[back + 1].Address, Convert.ToInt32(text[skip][3..], 16));
        Assert.Equal(listing[skip + 1].Address, Convert.ToInt32(text[back][3..], 16));
        text[skip] = "je <done>";
        text[back] = "jb <loop>";
        Assert.Equal(expected, text);
    }

    [Fact]
    public void Every_encoding_form_disassembles_as_written_including_extended_registers()
    {
        var e = new X64Emitter();
        e.Push(R12); e.Pop(R15); e.Push(Rbp);
        e.Load64(R13, new(Rsp));
        e.Load64(Rax, new(R12, Disp: -8));
        e.Load64(Rcx, new(R13));
        e.Load64(R9, new(Rbp, Disp: 0x1000));
        e.Zero(R10); e.Zero(Rsi);
        e.ShiftLeft(R11, 5);
        e.Add(R14, -128); e.Add(Rdx, 1 << 20);
        e.Compare(R8, Rdi); e.Test(R15);
        e.Vpxord(31, 17, 9);
        e.Vpdpbusd(16, 3, 30);
        e.Vpdpbusd(7, 24, 8);
        e.Vdpbf16ps(29, 11, 19);
        e.VpbroadcastdLoad(20, new(R13, R12, 12));
        e.VpbroadcastdLoad(5, new(Rbp, Rax));
        e.Vmovdqu32Load(25, new(R12, Disp: -64));
        e.Vmovdqu32Store(new(R15, R9, 256), 18);
        e.Vzeroupper(); e.Ret();
        string[] expected =
        [
            "push r12", "pop r15", "push rbp",
            "mov r13,QWORD PTR [rsp]",
            "mov rax,QWORD PTR [r12-0x8]",
            "mov rcx,QWORD PTR [r13+0x0]",
            "mov r9,QWORD PTR [rbp+0x1000]",
            "xor r10d,r10d", "xor esi,esi",
            "shl r11,0x5",
            "add r14,0xffffffffffffff80", "add rdx,0x100000",
            "cmp r8,rdi", "test r15,r15",
            "vpxord zmm31,zmm17,zmm9",
            "vpdpbusd zmm16,zmm3,zmm30",
            "vpdpbusd zmm7,zmm24,zmm8",
            "vdpbf16ps zmm29,zmm11,zmm19",
            "vpbroadcastd zmm20,DWORD PTR [r13+r12*1+0xc]",
            "vpbroadcastd zmm5,DWORD PTR [rbp+rax*1+0x0]",
            "vmovdqu32 zmm25,ZMMWORD PTR [r12-0x40]",
            "vmovdqu32 ZMMWORD PTR [r15+r9*1+0x100],zmm18",
            "vzeroupper", "ret",
        ];
        Assert.Equal(expected, Disassemble(e.ToArray()).Select(i => i.Text));
    }

    [Theory]
    [InlineData("vpdpbusd", "avx512_vnni")]
    [InlineData("vdpbf16ps", "avx512_bf16")]
    public void Each_kernel_runs_where_the_processor_reports_its_extension(string op, string cpuinfoFlag)
    {
        var instruction = Enum.Parse<DotProductTileKernel.Instruction>(op, ignoreCase: true);
        var kernel = instruction == DotProductTileKernel.Instruction.Vpdpbusd ? DotProductTileKernel.Int8 : DotProductTileKernel.BFloat16;
        if (!kernel.IsAvailable) Assert.Throws<InvalidOperationException>(() => kernel.Accumulate(null, null, 0, null));
        // /proc/cpuinfo is the kernel's reading of CPUID, independent of the code under test (Linux x64 only: elsewhere the
        // kernels are never built, which the status says).
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64
            || !File.Exists("/proc/cpuinfo"))
        {
            Assert.False(kernel.IsAvailable, kernel.Status);
            return;
        }
        bool cpuHas = File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags") && l.Split(' ').Contains(cpuinfoFlag));
        Assert.Equal(cpuHas, DotProductTileKernel.ProcessorHas(instruction));
        bool disabled = Environment.GetEnvironmentVariable("DPBERT_RUNTIME_CODE") == "0";
        bool expected = cpuHas && !disabled && System.Runtime.Intrinsics.X86.Avx512BW.IsSupported;
        // Where a security policy forbids executable mappings the kernel is rightly absent, and says so.
        bool refused = expected && !kernel.IsAvailable && kernel.Status.Contains("could not be placed");
        Assert.True(expected == kernel.IsAvailable || refused, $"expected {expected}, status: {kernel.Status}");
    }

    private readonly record struct Instruction(int Address, string Text);

    /// <summary>Disassembles raw x86-64 bytes with GNU objdump (Intel syntax): one entry per instruction.</summary>
    private static List<Instruction> Disassemble(byte[] code)
    {
        string file = Path.Combine(Path.GetTempPath(), $"dpbert-code-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(file, code);
        try
        {
            var start = new ProcessStartInfo("objdump", ["-D", "-M", "intel", "-b", "binary", "-m", "i386:x86-64", file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            Process process;
            try { process = Process.Start(start)!; }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException("objdump (GNU binutils) is needed to check the run-time machine code: apt-get install binutils", ex);
            }
            string output = process.StandardOutput.ReadToEnd();
            string errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"objdump failed: {errors}");
            var listing = new List<Instruction>();
            foreach (string line in output.Split('\n'))
            {
                var m = InstructionLine().Match(line);
                if (m.Success) listing.Add(new(Convert.ToInt32(m.Groups[1].Value, 16), Regex.Replace(m.Groups[2].Value.Trim(), @"\s+", " ")));
            }
            return listing;
        }
        finally { File.Delete(file); }
    }

    // "  7f:\t62 52 7d 48 58 34 18 \tvpbroadcastd zmm14,DWORD PTR [r8+rbx*1]"; continuation lines hold bytes only.
    [GeneratedRegex(@"^\s*([0-9a-f]+):\t[0-9a-f ]+\t(.+)$")]
    private static partial Regex InstructionLine();
}
