using System.Runtime.Intrinsics.X86;
using DpBert.Tensors;
using DpBert.Tensors.MachineCode;

namespace DpBert.Bert;

/// <summary>
/// The arithmetic of the encoder's Linear layers at inference (<see cref="BertModel.Precision"/>). Attention, softmax,
/// LayerNorm, the pooler, the classifier, the DPBERT planner and all of training stay in fp32.
/// </summary>
public enum InferencePrecision
{
    /// <summary>fp32 throughout (the default; matches Hugging Face within 1e-5).</summary>
    Float32,
    /// <summary>
    /// Dynamic quantisation as ONNX Runtime and PyTorch do it: weights int8 per output channel (once), activations
    /// quantised per token at run time (7-bit asymmetric), int32 accumulation, fp32 output.
    /// </summary>
    Int8,
    /// <summary>bfloat16 weights and activations with fp32 accumulation (the arithmetic of <c>vdpbf16ps</c>).</summary>
    BFloat16,
}

/// <summary>Names, parsing and a description of what runs on this processor, for each <see cref="InferencePrecision"/>.</summary>
public static class InferencePrecisions
{
    /// <summary>The short name used on the command line: <c>fp32</c>, <c>int8</c>, <c>bf16</c>.</summary>
    public static string Name(this InferencePrecision precision) => precision switch
    {
        InferencePrecision.Float32 => "fp32",
        InferencePrecision.Int8 => "int8",
        InferencePrecision.BFloat16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "not a precision"),
    };

    /// <summary>Parses <c>fp32</c>/<c>float32</c>, <c>int8</c>, <c>bf16</c>/<c>bfloat16</c> (any case).</summary>
    /// <exception cref="ArgumentException">Anything else; the message names the value and the choices.</exception>
    public static InferencePrecision Parse(string text) => text?.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" => InferencePrecision.Float32,
        "int8" => InferencePrecision.Int8,
        "bf16" or "bfloat16" => InferencePrecision.BFloat16,
        _ => throw new ArgumentException($"precision \"{text}\" is not one of fp32, int8, bf16"),
    };

    /// <summary>
    /// Which instructions carry the precision's GEMMs on this processor, and what the processor has that .NET 10
    /// cannot reach (printed by the command line and the benchmarks next to every figure).
    /// </summary>
    public static string Describe(InferencePrecision precision) => precision switch
    {
        InferencePrecision.Float32 => Simd.Best switch
        {
            SimdWidth.V512 => "fp32: AVX-512F FMA, 6x32 tiles",
            SimdWidth.V256 => "fp32: AVX2 FMA, 6x16 tiles",
            _ => "fp32: portable loops (no AVX2/AVX-512)",
        },
        InferencePrecision.Int8 => QuantizedGemm.BestWidth switch
        {
            SimdWidth.V512 when DotProductTileKernel.Int8.IsAvailable => $"int8: {DotProductTileKernel.Int8.Status}, 6x32 tiles, int32 sums",
            SimdWidth.V512 => $"int8: AVX-512BW vpmaddubsw + vpmaddwd, 6x32 tiles, int32 sums ({DotProductTileKernel.Int8.Status})",
            SimdWidth.V256 => "int8: AVX2 vpmaddubsw + vpmaddwd, 6x16 tiles, int32 sums",
            _ => "int8: scalar integer loops",
        },
        InferencePrecision.BFloat16 => Simd.Best switch
        {
            SimdWidth.V512 when DotProductTileKernel.BFloat16.IsAvailable => $"bf16: {DotProductTileKernel.BFloat16.Status}, 6x32 tiles, fp32 sums",
            SimdWidth.V512 => $"bf16: bf16 weights widened to fp32, AVX-512F FMA, fp32 sums ({DotProductTileKernel.BFloat16.Status})",
            SimdWidth.V256 => "bf16: bf16 weights widened to fp32, AVX2 FMA, fp32 sums (no AVX-512)",
            _ => "bf16: bf16 weights widened to fp32, scalar FMA, fp32 sums",
        },
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "not a precision"),
    };
}
