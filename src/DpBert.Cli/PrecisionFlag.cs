using System.CommandLine;
using DpBert.Bert;

namespace DpBert.Cli;

/// <summary>
/// <c>--precision fp32|int8|bf16</c> for <c>predict</c>, <c>evaluate</c> and <c>tradeoff</c>: the arithmetic of the core
/// engine's encoder Linear layers at inference (<see cref="BertModel.Precision"/>). The command prints, once, which
/// instructions carry it on this CPU.
/// </summary>
internal sealed class PrecisionFlag
{
    private readonly Option<string> _precision = new("--precision")
    {
        Description = "Inference arithmetic of the encoder's Linear layers: fp32 (default), int8 (dynamic quantisation: int8 weights per channel, " +
            "activations per token, int32 sums) or bf16 (bf16 operands, fp32 sums). Core engine only.",
        DefaultValueFactory = _ => "fp32",
    };

    public void AddTo(Command command) => command.Options.Add(_precision);

    /// <summary>The precision asked for; anything but fp32 is described on <paramref name="error"/>.</summary>
    public InferencePrecision Read(ParseResult parse, TextWriter error)
    {
        InferencePrecision precision;
        try { precision = InferencePrecisions.Parse(parse.GetValue(_precision)!); }
        catch (ArgumentException e) { throw new CliInputException($"--precision: {e.Message}"); }
        if (precision != InferencePrecision.Float32) error.WriteLine($"precision {InferencePrecisions.Describe(precision)}");
        return precision;
    }

    /// <summary>Sets <paramref name="precision"/> on every model given (a method may carry its own backbone).</summary>
    public static void Apply(InferencePrecision precision, IEnumerable<BertForSequenceClassification> models)
    {
        foreach (var model in models) model.Bert.Precision = precision;
    }
}
