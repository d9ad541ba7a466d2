namespace DpBert.Tensors.MachineCode;

/// <summary>
/// Writes x86-64 machine code for the few instruction forms the run-time kernels need (<see cref="DotProductTileKernel"/>):
/// 64-bit loads, stack, compare and jump on general-purpose registers, and EVEX-encoded 512-bit instructions on
/// zmm0-31 (integer moves and dot products, and the bf16 dot product). It exists because the .NET 10 runtime reports no intrinsic class for AVX512-VNNI on processors that
/// have it without the VEX-encoded AVX-VNNI (Zen 4 and Cascade Lake; checked by reflection on Zen 4), and has none for
/// AVX512-BF16 at all, so <c>vpdpbusd</c> and <c>vdpbf16ps</c> cannot be issued from C#. The encodings follow the Intel SDM, volume 2, sections 2.1 (ModRM, SIB,
/// REX) and 2.7 (EVEX); the tests check every instruction against GNU objdump's disassembly.
/// </summary>
/// <remarks>
/// Memory operands are <c>[base + index + disp]</c> with scale 1. EVEX displacements are always written as 32 bits, so
/// the compressed disp8*N form (whose N depends on the instruction's tuple type) is never needed.
/// </remarks>
internal sealed class X64Emitter
{
    private readonly List<byte> _code = [];

    /// <summary>Bytes written so far (the address of the next instruction, relative to the start).</summary>
    public int Position => _code.Count;

    /// <summary>The code written so far.</summary>
    public byte[] ToArray() => [.. _code];

    /// <summary>A memory operand <c>[base + index + disp]</c>; <paramref name="Index"/> null for none.</summary>
    public readonly record struct Memory(Gpr Base, Gpr? Index = null, int Disp = 0);

    public void Push(Gpr r) { if (r >= Gpr.R8) Emit(0x41); Emit((byte)(0x50 + ((int)r & 7))); }
    public void Pop(Gpr r) { if (r >= Gpr.R8) Emit(0x41); Emit((byte)(0x58 + ((int)r & 7))); }
    public void Ret() => Emit(0xC3);

    /// <summary><c>vzeroupper</c>, before returning to code that may use legacy SSE encodings.</summary>
    public void Vzeroupper() { Emit(0xC5); Emit(0xF8); Emit(0x77); }

    /// <summary><c>mov dst, qword [m]</c>.</summary>
    public void Load64(Gpr dst, Memory m)
    {
        Rex(w: true, reg: (int)dst, m);
        Emit(0x8B);
        ModRmMemory((int)dst, m, evex: false);
    }

    /// <summary><c>xor dst32, dst32</c>: zeroes the whole 64-bit register.</summary>
    public void Zero(Gpr r)
    {
        if (r >= Gpr.R8) Emit(0x45);
        Emit(0x31);
        ModRmRegister((int)r, (int)r);
    }

    /// <summary><c>shl r, imm8</c>.</summary>
    public void ShiftLeft(Gpr r, byte count) { RexRegister(w: true, 0, (int)r); Emit(0xC1); ModRmRegister(4, (int)r); Emit(count); }

    /// <summary><c>add r, imm</c> (the sign-extended imm8 form when it fits, else imm32).</summary>
    public void Add(Gpr r, int immediate)
    {
        RexRegister(w: true, 0, (int)r);
        if (immediate is >= sbyte.MinValue and <= sbyte.MaxValue) { Emit(0x83); ModRmRegister(0, (int)r); Emit((byte)(sbyte)immediate); }
        else { Emit(0x81); ModRmRegister(0, (int)r); Emit32(immediate); }
    }

    /// <summary><c>cmp left, right</c> (flags of <c>left - right</c>).</summary>
    public void Compare(Gpr left, Gpr right) { RexRegister(w: true, (int)right, (int)left); Emit(0x39); ModRmRegister((int)right, (int)left); }

    /// <summary><c>test r, r</c>.</summary>
    public void Test(Gpr r) { RexRegister(w: true, (int)r, (int)r); Emit(0x85); ModRmRegister((int)r, (int)r); }

    /// <summary><c>jz rel32</c> to a label not yet placed; returns the place to <see cref="PatchJump"/>.</summary>
    public int JumpIfZeroForward() { Emit(0x0F); Emit(0x84); Emit32(0); return Position; }

    /// <summary>Points the forward jump that ends at <paramref name="jumpEnd"/> to the current position.</summary>
    public void PatchJump(int jumpEnd)
    {
        int rel = Position - jumpEnd;
        for (int i = 0; i < 4; i++) _code[jumpEnd - 4 + i] = (byte)(rel >> (8 * i));
    }

    /// <summary><c>jb rel32</c> (unsigned below) back to <paramref name="target"/>.</summary>
    public void JumpIfBelow(int target) { Emit(0x0F); Emit(0x82); Emit32(target - (Position + 4)); }

    /// <summary><c>vpxord zmm dst, zmm a, zmm b</c>.</summary>
    public void Vpxord(int dst, int a, int b) => EvexRegister(Map0F, Pp66, w: false, 0xEF, dst, a, b);

    /// <summary>
    /// <c>vpdpbusd zmm acc, zmm u8, zmm s8</c> (AVX512-VNNI): each 32-bit lane of <paramref name="acc"/> gains the sum
    /// of four products of an unsigned byte of <paramref name="unsignedBytes"/> and a signed byte of <paramref name="signedBytes"/>, in int32 without saturation.
    /// </summary>
    public void Vpdpbusd(int acc, int unsignedBytes, int signedBytes) => EvexRegister(Map0F38, Pp66, w: false, 0x50, acc, unsignedBytes, signedBytes);

    /// <summary>
    /// <c>vdpbf16ps zmm acc, zmm a, zmm b</c> (AVX512-BF16): each fp32 lane of <paramref name="acc"/> gains the products of
    /// the two bf16 halves of the same lane of <paramref name="a"/> and <paramref name="b"/> (the high pair first).
    /// </summary>
    public void Vdpbf16ps(int acc, int a, int b) => EvexRegister(Map0F38, PpF3, w: false, 0x52, acc, a, b);

    /// <summary><c>vpbroadcastd zmm dst, dword [m]</c>.</summary>
    public void VpbroadcastdLoad(int dst, Memory m) => EvexMemory(Map0F38, Pp66, w: false, 0x58, dst, m);

    /// <summary><c>vmovdqu32 zmm dst, [m]</c>.</summary>
    public void Vmovdqu32Load(int dst, Memory m) => EvexMemory(Map0F, PpF3, w: false, 0x6F, dst, m);

    /// <summary><c>vmovdqu32 [m], zmm src</c>.</summary>
    public void Vmovdqu32Store(Memory m, int src) => EvexMemory(Map0F, PpF3, w: false, 0x7F, src, m);

    private const int Map0F = 1, Map0F38 = 2;
    private const int Pp66 = 1, PpF3 = 2;

    private void EvexRegister(int map, int pp, bool w, byte opcode, int reg, int vvvv, int rm)
    {
        CheckZmm(reg); CheckZmm(vvvv); CheckZmm(rm);
        // P0: R X B R' 0 0 m m, the register extensions stored inverted; X extends rm to zmm16-31 in the register form.
        Emit((byte)0x62);
        Emit((byte)((Inv(reg, 3) << 7) | (Inv(rm, 4) << 6) | (Inv(rm, 3) << 5) | (Inv(reg, 4) << 4) | map));
        EvexP1P2(pp, w, vvvv);
        Emit(opcode);
        ModRmRegister(reg, rm);
    }

    private void EvexMemory(int map, int pp, bool w, byte opcode, int reg, Memory m)
    {
        CheckZmm(reg);
        int index = m.Index is { } i ? (int)i : 0;
        Emit((byte)0x62);
        Emit((byte)((Inv(reg, 3) << 7) | (Inv(index, 3) << 6) | (Inv((int)m.Base, 3) << 5) | (Inv(reg, 4) << 4) | map));
        EvexP1P2(pp, w, vvvv: 0);
        Emit(opcode);
        ModRmMemory(reg, m, evex: true);
    }

    // P1: W vvvv 1 pp (vvvv inverted; 1111 when unused). P2: z L'L b V' aaa = no zeroing, 512-bit, no broadcast, no mask.
    private void EvexP1P2(int pp, bool w, int vvvv)
    {
        Emit((byte)(((w ? 1 : 0) << 7) | ((~vvvv & 15) << 3) | 0x04 | pp));
        Emit((byte)(0x40 | (Inv(vvvv, 4) << 3)));
    }

    private static int Inv(int register, int bit) => ((register >> bit) & 1) ^ 1;

    private static void CheckZmm(int r)
    {
        if (r is < 0 or > 31) throw new ArgumentOutOfRangeException(nameof(r), r, "zmm registers are 0 to 31");
    }

    private void Rex(bool w, int reg, Memory m)
    {
        int index = m.Index is { } i ? (int)i : 0;
        int rex = 0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((index >> 3) & 1) << 1 | (((int)m.Base >> 3) & 1);
        if (rex != 0x40) Emit((byte)rex);
    }

    private void RexRegister(bool w, int reg, int rm)
    {
        int rex = 0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((rm >> 3) & 1);
        if (rex != 0x40) Emit((byte)rex);
    }

    private void ModRmRegister(int reg, int rm) => Emit((byte)(0xC0 | (reg & 7) << 3 | (rm & 7)));

    private void ModRmMemory(int reg, Memory m, bool evex)
    {
        int baseLow = (int)m.Base & 7;
        if (m.Index == Gpr.Rsp) throw new ArgumentException("rsp cannot be an index register", nameof(m));
        // mod 00 has no displacement, except that base 101 (rbp, r13) there means "disp32, no base": give those a zero displacement.
        bool needsDisp = m.Disp != 0 || baseLow == 5;
        bool disp8 = needsDisp && !evex && m.Disp is >= sbyte.MinValue and <= sbyte.MaxValue;
        int mod = !needsDisp ? 0 : disp8 ? 1 : 2;
        if (m.Index is { } index)
        {
            Emit((byte)(mod << 6 | (reg & 7) << 3 | 4));
            Emit((byte)(((int)index & 7) << 3 | baseLow));
        }
        else
        {
            Emit((byte)(mod << 6 | (reg & 7) << 3 | baseLow));
            if (baseLow == 4) Emit(0x24);   // rsp, r12 as base need a SIB byte with no index
        }
        if (disp8) Emit((byte)(sbyte)m.Disp);
        else if (needsDisp) Emit32(m.Disp);
    }

    private void Emit(byte b) => _code.Add(b);

    private void Emit32(int value)
    {
        for (int i = 0; i < 4; i++) _code.Add((byte)(value >> (8 * i)));
    }
}
