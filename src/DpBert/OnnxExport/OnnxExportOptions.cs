namespace DpBert.OnnxExport;

/// <summary>Settings of an ONNX export.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Default ONNX opset: 17, the first with <c>LayerNormalization</c> as a standard operator.</summary>
    public const int DefaultOpset = 17;
    /// <summary>Lowest opset the exporter writes.</summary>
    public const int MinOpset = 17;
    /// <summary>Highest opset the exporter writes (every operator it uses has the same meaning from 17 to this one).</summary>
    public const int MaxOpset = 21;

    /// <summary>The ONNX opset of the default domain, in [<see cref="MinOpset"/>, <see cref="MaxOpset"/>].</summary>
    public int Opset { get; init; } = DefaultOpset;

    /// <summary>
    /// DPBERT graphs: the value of the <c>theta</c> input when the caller does not feed one, in (0, 1); null: the method's
    /// default knob (<see cref="Methods.AdaptiveMethod.DefaultKnob"/>, the threshold <c>dpbert evaluate</c> uses).
    /// </summary>
    public float? Theta { get; init; }

    /// <summary>DeeBERT graphs: the value of the <c>entropy</c> input when the caller does not feed one (nats, &gt;= 0); null: the method's default.</summary>
    public float? Entropy { get; init; }

    /// <summary>PABEE graphs: the value of the <c>patience</c> input when the caller does not feed one (&gt;= 1); null: the method's default.</summary>
    public int? Patience { get; init; }

    /// <summary>Checks the settings; the message names the bad value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The opset or a knob is out of range.</exception>
    public void Validate()
    {
        if (Opset is < MinOpset or > MaxOpset)
            throw new ArgumentOutOfRangeException(nameof(Opset), $"--opset {Opset} is not supported: the exporter writes opsets {MinOpset} to {MaxOpset}");
        if (Theta is { } theta && !(theta > 0 && theta < 1)) throw new ArgumentOutOfRangeException(nameof(Theta), $"--theta {Theta} must be in (0, 1)");
        if (Entropy is { } entropy && (!(entropy >= 0) || float.IsInfinity(entropy))) throw new ArgumentOutOfRangeException(nameof(Entropy), $"--entropy {Entropy} must be a finite number >= 0");
        if (Patience < 1) throw new ArgumentOutOfRangeException(nameof(Patience), $"--patience {Patience} must be >= 1");
    }

    /// <summary>The ONNX IR version that goes with <see cref="Opset"/> (opset 17: IR 8; 18-20: IR 9; 21: IR 10).</summary>
    internal long IrVersion => Opset switch { 17 => 8, <= 20 => 9, _ => 10 };
}
