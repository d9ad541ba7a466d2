using System.Diagnostics;
using System.Runtime.Intrinsics;
using DpBert.Tensors;

namespace DpBert.Training;

/// <summary>
/// The element-wise AdamW update over one contiguous range, in the order PyTorch's single-tensor
/// <c>adamw</c> applies it:
/// <code>
/// p  = p * decay                               // param.mul_(1 - lr * weight_decay)
/// m  = lerp(m, g, 1 - beta1)                   // exp_avg.lerp_(grad, 1 - beta1)
/// v  = v * beta2 + (1 - beta2) * g * g         // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
/// d  = sqrt(v) / sqrt(bias_correction2) + eps
/// p  = p + (-step_size * m) / d                // param.addcdiv_(exp_avg, denom, value=-step_size)
/// </code>
/// Every vector width rounds exactly as the scalar reference (no fused multiply-add), so results do not
/// depend on the processor. PyTorch's own vector kernel fuses the lerp, so parity with it is to about an ulp.
/// </summary>
internal static class AdamWUpdate
{
    /// <summary>Updates <paramref name="p"/>, <paramref name="m"/> and <paramref name="v"/> in place from <paramref name="g"/>.</summary>
    /// <param name="width">Vector width.</param>
    /// <param name="p">Parameters (n).</param>
    /// <param name="m">First moment (n).</param>
    /// <param name="v">Second moment (n).</param>
    /// <param name="g">Gradient (n).</param>
    /// <param name="decay"><c>1 - lr * weight_decay</c>, or 1 for parameters without decay.</param>
    /// <param name="c">The step's scalars.</param>
    public static void Apply(SimdWidth width, Span<float> p, Span<float> m, Span<float> v, ReadOnlySpan<float> g,
        float decay, in AdamWStepCoefficients c)
    {
        Debug.Assert(m.Length == p.Length && v.Length == p.Length && g.Length == p.Length);
        int n = p.Length, i = 0;
        bool fromG = c.LerpFromGradient;
        if (width == SimdWidth.V512)
        {
            var dec = Vector512.Create(decay); var w = Vector512.Create(c.LerpCoefficient);
            var b2 = Vector512.Create(c.Beta2); var omb2 = Vector512.Create(c.OneMinusBeta2);
            var bc2 = Vector512.Create(c.BiasCorrection2Sqrt); var eps = Vector512.Create(c.Epsilon);
            var step = Vector512.Create(c.NegativeStepSize);
            for (; i <= n - 16; i += 16)
            {
                var gi = Vector512.Create(g.Slice(i, 16));
                var mi = Vector512.Create(m.Slice(i, 16));
                var mNew = (fromG ? gi : mi) + w * (gi - mi);
                var vNew = Vector512.Create(v.Slice(i, 16)) * b2 + omb2 * gi * gi;
                var denom = Vector512.Sqrt(vNew) / bc2 + eps;
                (Vector512.Create(p.Slice(i, 16)) * dec + step * mNew / denom).CopyTo(p.Slice(i, 16));
                mNew.CopyTo(m.Slice(i, 16));
                vNew.CopyTo(v.Slice(i, 16));
            }
        }
        else if (width == SimdWidth.V256)
        {
            var dec = Vector256.Create(decay); var w = Vector256.Create(c.LerpCoefficient);
            var b2 = Vector256.Create(c.Beta2); var omb2 = Vector256.Create(c.OneMinusBeta2);
            var bc2 = Vector256.Create(c.BiasCorrection2Sqrt); var eps = Vector256.Create(c.Epsilon);
            var step = Vector256.Create(c.NegativeStepSize);
            for (; i <= n - 8; i += 8)
            {
                var gi = Vector256.Create(g.Slice(i, 8));
                var mi = Vector256.Create(m.Slice(i, 8));
                var mNew = (fromG ? gi : mi) + w * (gi - mi);
                var vNew = Vector256.Create(v.Slice(i, 8)) * b2 + omb2 * gi * gi;
                var denom = Vector256.Sqrt(vNew) / bc2 + eps;
                (Vector256.Create(p.Slice(i, 8)) * dec + step * mNew / denom).CopyTo(p.Slice(i, 8));
                mNew.CopyTo(m.Slice(i, 8));
                vNew.CopyTo(v.Slice(i, 8));
            }
        }
        else if (width == SimdWidth.V128)
        {
            var dec = Vector128.Create(decay); var w = Vector128.Create(c.LerpCoefficient);
            var b2 = Vector128.Create(c.Beta2); var omb2 = Vector128.Create(c.OneMinusBeta2);
            var bc2 = Vector128.Create(c.BiasCorrection2Sqrt); var eps = Vector128.Create(c.Epsilon);
            var step = Vector128.Create(c.NegativeStepSize);
            for (; i <= n - 4; i += 4)
            {
                var gi = Vector128.Create(g.Slice(i, 4));
                var mi = Vector128.Create(m.Slice(i, 4));
                var mNew = (fromG ? gi : mi) + w * (gi - mi);
                var vNew = Vector128.Create(v.Slice(i, 4)) * b2 + omb2 * gi * gi;
                var denom = Vector128.Sqrt(vNew) / bc2 + eps;
                (Vector128.Create(p.Slice(i, 4)) * dec + step * mNew / denom).CopyTo(p.Slice(i, 4));
                mNew.CopyTo(m.Slice(i, 4));
                vNew.CopyTo(v.Slice(i, 4));
            }
        }
        Reference(p[i..], m[i..], v[i..], g[i..], decay, c);
    }

    /// <summary>The scalar reference of <see cref="Apply"/>; also its tail.</summary>
    public static void Reference(Span<float> p, Span<float> m, Span<float> v, ReadOnlySpan<float> g,
        float decay, in AdamWStepCoefficients c)
    {
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i], mi = m[i];
            float mNew = (c.LerpFromGradient ? gi : mi) + c.LerpCoefficient * (gi - mi);
            float vNew = v[i] * c.Beta2 + c.OneMinusBeta2 * gi * gi;
            float denom = MathF.Sqrt(vNew) / c.BiasCorrection2Sqrt + c.Epsilon;
            p[i] = p[i] * decay + c.NegativeStepSize * mNew / denom;
            m[i] = mNew;
            v[i] = vNew;
        }
    }
}
