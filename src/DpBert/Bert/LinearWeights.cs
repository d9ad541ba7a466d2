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
    private PackedMatrix? _float32;
    private QuantizedMatrix? _int8;
    private BFloat16Matrix? _bfloat16;
    private float[]? _stackedBias;
    private int _float32Version = -1, _int8Version = -1, _bfloat16Version = -1, _biasVersion = -1;

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
                // fp32 GELU is a pass of its own after the GEMM, not fused into its tiles: the fused epilogue spills the
                // tile's 12 accumulators (measured on Zen 4, one thread, thread CPU time, interleaved in one process:
                // BERT-mini b1x128 9.77 ms fused, 9.28 ms as a pass; BERT-base b1x128 217.9 ms and 215.7 ms).
                if (gelu)
                {
                    using var profile = OpProfile.Measure("gelu");
                    RowKernels.Gelu(y, ldy, rows, OutFeatures);
                }
                return;
            }
        }
    }

    private ReadOnlySpan<float> Bias()
    {
        if (_biases.Length == 1) return _parameters.Span(_biases[0]);
        if (_stackedBias is null || _biasVersion != _parameters.Version)
        {
            _stackedBias ??= new float[OutFeatures];
            int offset = 0;
            foreach (var b in _biases) { _parameters.Span(b).CopyTo(_stackedBias.AsSpan(offset)); offset += b.Length; }
            _biasVersion = _parameters.Version;
        }
        return _stackedBias;
    }

    private PackedMatrix Float32()
    {
        if (_float32 is null || _float32Version != _parameters.Version)
        {
            using var profile = OpProfile.Measure("pack weights");
            var w = Stacked(out int ld);
            if (_float32 is null) _float32 = PackedMatrix.PackLinearWeight(w, OutFeatures, InFeatures);
            else _float32.Repack(w, ld, transB: true);
            _float32Version = _parameters.Version;
        }
        return _float32;
    }

    private QuantizedMatrix Int8()
    {
        if (_int8 is null || _int8Version != _parameters.Version)
        {
            using var profile = OpProfile.Measure("quantise weights");
            var w = Stacked(out int ld);
            if (_int8 is null) _int8 = QuantizedMatrix.Quantize(w, ld, OutFeatures, InFeatures);
            else _int8.Requantize(w, ld);
            _int8Version = _parameters.Version;
        }
        return _int8;
    }

    private BFloat16Matrix BFloat16()
    {
        if (_bfloat16 is null || _bfloat16Version != _parameters.Version)
        {
            using var profile = OpProfile.Measure("round weights to bf16");
            var w = Stacked(out int ld);
            if (_bfloat16 is null) _bfloat16 = BFloat16Matrix.Pack(w, ld, OutFeatures, InFeatures);
            else _bfloat16.Repack(w, ld);
            _bfloat16Version = _parameters.Version;
        }
        return _bfloat16;
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
