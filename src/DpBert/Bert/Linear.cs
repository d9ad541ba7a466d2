using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// A fully connected layer <c>y = x W^T + b</c> whose weight <c>W [out, in]</c> and bias live in a
/// <see cref="ParameterSet"/> under their Hugging Face keys. The forward reads the weight in the packed form of its
/// precision (<see cref="LinearWeights"/>), built on first use and rebuilt whenever the parameter set's version changes.
/// </summary>
public sealed class Linear
{
    private readonly ParameterSet _parameters;
    private readonly LinearWeights _forms;

    /// <summary>Key prefix, e.g. <c>bert.encoder.layer.0.intermediate.dense</c>.</summary>
    public string Name { get; }
    /// <summary>Table entry of the weight <c>[out, in]</c>.</summary>
    public ParameterInfo Weight { get; }
    /// <summary>Table entry of the bias <c>[out]</c>.</summary>
    public ParameterInfo Bias { get; }
    /// <summary>Input width.</summary>
    public int InFeatures { get; }
    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>Binds to <c>{name}.weight</c> and <c>{name}.bias</c> in <paramref name="parameters"/>.</summary>
    public Linear(ParameterSet parameters, string name)
    {
        _parameters = parameters;
        Name = name;
        Weight = parameters.Info(name + ".weight");
        Bias = parameters.Info(name + ".bias");
        if (Weight.Shape.Length != 2 || Bias.Shape.Length != 1 || Bias.Shape[0] != Weight.Shape[0])
            throw new ArgumentException($"{name}: weight {Weight.ShapeText} and bias {Bias.ShapeText} do not form a Linear layer");
        OutFeatures = Weight.Shape[0];
        InFeatures = Weight.Shape[1];
        int layer = name.IndexOf("layer.", StringComparison.Ordinal);
        string role = layer < 0 ? name : name[(name.IndexOf('.', layer + 6) + 1)..];
        (_weightGradientOp, _inputGradientOp) = ("dW " + role, "dX " + role);
        _forms = new LinearWeights(parameters, [Weight], [Bias], "fwd " + role);
    }

    private readonly string _weightGradientOp, _inputGradientOp;   // profile names, without the layer index

    /// <summary><c>y (rows, out) = (accumulate ? y : 0) + x (rows, in) W^T + b</c>, with row strides <paramref name="ldx"/> and <paramref name="ldy"/>.</summary>
    public void Forward(Span<float> y, ReadOnlySpan<float> x, int rows, bool accumulate = false, int ldx = 0, int ldy = 0) =>
        Forward(y, x, rows, InferencePrecision.Float32, accumulate, gelu: false, ldx, ldy);

    /// <summary>Builds the weights' form for <paramref name="precision"/> now, so that forwards from parallel tasks only read it.</summary>
    internal void Prepare(InferencePrecision precision) => _forms.Prepare(precision);

    /// <summary>The inference forward in <paramref name="precision"/>, with GELU applied to the output when <paramref name="gelu"/>.</summary>
    internal void Forward(Span<float> y, ReadOnlySpan<float> x, int rows, InferencePrecision precision, bool accumulate, bool gelu, int ldx = 0, int ldy = 0) =>
        _forms.Forward(y, ldy == 0 ? OutFeatures : ldy, x, ldx == 0 ? InFeatures : ldx, rows, precision, accumulate, gelu);

    /// <summary>
    /// Backward of <see cref="Forward(Span{float}, ReadOnlySpan{float}, int, bool, int, int)"/>: <c>dW += dy^T x</c>, <c>db += sum_rows dy</c> into <paramref name="grads"/>,
    /// and <c>dx += dy W</c> when <paramref name="dx"/> is not empty.
    /// </summary>
    /// <param name="dx">Gradient of the input (rows, in), accumulated; empty to skip.</param>
    /// <param name="grads">Gradient block with the same table as the parameters.</param>
    /// <param name="dy">Gradient of the output (rows, out).</param>
    /// <param name="x">Forward input (rows, in), row stride <paramref name="ldx"/>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="ldx">Row stride of x and dx (0 = in).</param>
    public void Backward(Span<float> dx, ParameterSet grads, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int rows, int ldx = 0)
    {
        if (ldx == 0) ldx = InFeatures;
        double flops = 2.0 * rows * InFeatures * OutFeatures;
        // dW (out, in) += dy^T (out, rows) x (rows, in)
        using (OpProfile.Measure(_weightGradientOp, flops))
            Gemm.Multiply(grads.Span(Weight), InFeatures, dy, OutFeatures, true, x, ldx, false, OutFeatures, InFeatures, rows, accumulate: true);
        using (OpProfile.Measure("db"))
            ActivationBackward.BiasGradient(grads.Span(Bias), dy, rows, OutFeatures);
        // dx (rows, in) += dy (rows, out) W (out, in)
        if (dx.IsEmpty) return;
        using (OpProfile.Measure(_inputGradientOp, flops))
            Gemm.Multiply(dx, ldx, dy, OutFeatures, false, _parameters.Span(Weight), InFeatures, false, rows, InFeatures, OutFeatures, accumulate: true);
    }

}
