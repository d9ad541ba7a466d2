using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// The weight of one Linear layer, or of several over the same input stacked into one (the Q, K and V projections),
/// in the forms the inference GEMMs read: packed fp32, int8 per channel, bf16. Each form is built on first use and
/// rebuilt when the parameters change (<see cref="ParameterSet.Version"/>); the raw weights stay where they are.
/// </summary>
internal sealed class LinearWeights
{
    private readonly ParameterSet _parameters;
    private readonly ParameterInfo[] _weights, _biases;
    private readonly string _profileName;
    private readonly ParameterDerivedCache<LinearWeights, PackedMatrix> _float32 = new(PackFloat32, "pack weights");
    private readonly ParameterDerivedCache<LinearWeights, QuantizedMatrix> _int8 = new(QuantizeInt8, "quantise weights");
    private readonly ParameterDerivedCache<LinearWeights, BFloat16Matrix> _bfloat16 = new(RoundBFloat16, "round weights to bf16");
    private readonly ParameterDerivedCache<LinearWeights, float[]> _stackedBias = new(StackBiases, "stack biases");

    /// <summary>Input width (k).</summary>
    public int InFeatures { get; }
    /// <summary>Output width (n): the parts' widths added.</summary>
    public int OutFeatures { get; }

    /// <summary>Stacks the given (weight, bias) pairs, all with the same input width, in order.</summary>
    public LinearWeights(ParameterSet parameters, ParameterInfo[] weights, ParameterInfo[] biases, string profileName)
    {
        _parameters = parameters;
        _weights = weights;
        _biases = biases;
        _profileName = profileName;
        InFeatures = weights[0].Shape[1];
        OutFeatures = weights.Sum(w => w.Shape[0]);
        if (weights.Any(w => w.Shape[1] != InFeatures))
            throw new ArgumentException($"{string.Join(", ", weights.Select(w => w.Name))}: stacked weights need one input width");
    }

    /// <summary>
    /// <c>y (rows, out) = (accumulate ? y : 0) + x (rows, in) W^T + b</c>, then GELU when <paramref name="gelu"/>, in
    /// <paramref name="precision"/>. Row strides default to the widths.
    /// </summary>
    public void Forward(Span<float> y, int ldy, ReadOnlySpan<float> x, int ldx, int rows, InferencePrecision precision, bool accumulate, bool gelu)
    {
        var bias = Bias();
        switch (precision)
        {
            case InferencePrecision.Int8:
            {
                var w = Int8();
                using var profile = OpProfile.Measure(_profileName, 2.0 * rows * InFeatures * OutFeatures);
                QuantizedGemm.Multiply(y, ldy, x, ldx, w, rows, accumulate, bias, gelu);
                return;
            }
            case InferencePrecision.BFloat16:
            {
                var w = BFloat16();
                using var profile = OpProfile.Measure(_profileName, 2.0 * rows * InFeatures * OutFeatures);
                BFloat16Gemm.Multiply(y, ldy, x, ldx, w, rows, accumulate, bias, gelu);
                return;
            }
            default:
            {
                if (Gemm.Backend == GemmBackend.Managed)
                {
                    var w = Float32();
                    using var profile = OpProfile.Measure(_profileName, 2.0 * rows * InFeatures * OutFeatures);
                    Gemm.MultiplyPacked(y, ldy, x, ldx, w, rows, accumulate, bias);
                }
                else
                {
                    using var profile = OpProfile.Measure(_profileName, 2.0 * rows * InFeatures * OutFeatures);
                    int offset = 0;
                    foreach (var weight in _weights)
                    {
                        int n = weight.Shape[0];
                        Gemm.Multiply(y[offset..], ldy, x, ldx, false, _parameters.Span(weight), InFeatures, true, rows, n, InFeatures,
                            accumulate, bias.Slice(offset, n));
                        offset += n;
                    }
                }
                // fp32 GELU is a pass of its own after the GEMM, not fused into its tiles. In registers the fused epilogue
                // spilled the tile's 12 accumulators (Zen 4, one thread, thread CPU time, one process: BERT-mini b1x128
                // 9.77 ms fused, 9.28 ms as a pass); applied to each tile just stored (TileStore.GeluStored512) it is no
                // faster than the pass in fp32 (benchmark gemm-tune, same run, time with GELU over time without:
                // 128x3072x768 1.086 fused, 1.048 as a pass; 2048x1024x256 1.232 and 1.158), while int8, whose tiles
                // finish twice as fast, gains from it (128x3072x768: 1.180 in registers in the run before the change, 1.126 after).
                // Re-measured in whole forwards (two threads, interleaved in one process, medians, pass / fused-after-store):
                // BERT-mini b32x64 77.7 / 79.4 ms, MiniLM b32x64 242.2 / 245.9, BERT-base b8x128 874.6 / 871.0: still no gain.
                // On Zen 5 (twice Zen 4's FMA width), the same: 46.08 / 47.66, 143.31 / 150.08, 538.29 / 556.13.
                if (gelu)
                {
                    using var profile = OpProfile.Measure("gelu");
                    RowKernels.Gelu(y, ldy, rows, OutFeatures);
                }
                return;
            }
        }
    }

    /// <summary>Builds the form <paramref name="precision"/> needs now, so that calls from parallel tasks only read it.</summary>
    internal void Prepare(InferencePrecision precision)
    {
        _ = Bias();
        switch (precision)
        {
            case InferencePrecision.Int8: _ = Int8(); break;
            case InferencePrecision.BFloat16: _ = BFloat16(); break;
            default: if (Gemm.Backend == GemmBackend.Managed) _ = Float32(); break;
        }
    }

    private ReadOnlySpan<float> Bias() => _biases.Length == 1 ? _parameters.Span(_biases[0]) : _stackedBias.Get(this, _parameters.Version);
    private PackedMatrix Float32() => _float32.Get(this, _parameters.Version);
    private QuantizedMatrix Int8() => _int8.Get(this, _parameters.Version);
    private BFloat16Matrix BFloat16() => _bfloat16.Get(this, _parameters.Version);

    private static float[] StackBiases(LinearWeights self, float[]? previous)
    {
        var stacked = previous ?? new float[self.OutFeatures];
        int offset = 0;
        foreach (var b in self._biases) { self._parameters.Span(b).CopyTo(stacked.AsSpan(offset)); offset += b.Length; }
        return stacked;
    }

    private static PackedMatrix PackFloat32(LinearWeights self, PackedMatrix? previous)
    {
        var w = self.Stacked(out int ld);
        if (previous is null) return PackedMatrix.PackLinearWeight(w, self.OutFeatures, self.InFeatures);
        previous.Repack(w, ld, transB: true);
        return previous;
    }

    private static QuantizedMatrix QuantizeInt8(LinearWeights self, QuantizedMatrix? previous)
    {
        var w = self.Stacked(out int ld);
        if (previous is null) return QuantizedMatrix.Quantize(w, ld, self.OutFeatures, self.InFeatures);
        previous.Requantize(w, ld);
        return previous;
    }

    private static BFloat16Matrix RoundBFloat16(LinearWeights self, BFloat16Matrix? previous)
    {
        var w = self.Stacked(out int ld);
        if (previous is null) return BFloat16Matrix.Pack(w, ld, self.OutFeatures, self.InFeatures);
        previous.Repack(w, ld);
        return previous;
    }

    /// <summary>The weights as one <c>[out, in]</c> matrix: the parameter itself, or the parts copied one under the other.</summary>
    private ReadOnlySpan<float> Stacked(out int ld)
    {
        ld = InFeatures;
        if (_weights.Length == 1) return _parameters.Span(_weights[0]);
        var stacked = new float[OutFeatures * InFeatures];
        int offset = 0;
        foreach (var w in _weights) { _parameters.Span(w).CopyTo(stacked.AsSpan(offset)); offset += w.Length; }
        return stacked;
    }
}
