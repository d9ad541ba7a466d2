using System.CommandLine;
using DpBert.Glue;

namespace DpBert.Cli;

/// <summary>
/// <c>--held-out N</c> and <c>--held-out-rows any|whole</c>, for every command that trains or evaluates on the training
/// rows set aside (<c>finetune</c>, <c>plan</c>, <c>exits</c>, <c>static</c>, <c>oracle</c>, <c>evaluate</c>,
/// <c>tradeoff</c>): the same two values must reach every command of one comparison, so that all of them set the same
/// rows aside.
/// </summary>
internal sealed class HeldOutFlags
{
    private readonly Option<int> _count;

    private readonly Option<string> _rows = new("--held-out-rows")
    {
        Description = "Which rows --held-out may set aside: any (default) or whole (rows not contained in a longer row: mostly SST-2's " +
            "whole sentences rather than their phrases; the rows they contain leave the training set). Single-sentence tasks only.",
        DefaultValueFactory = _ => "any",
    };

    /// <param name="countDescription">What <c>--held-out N</c> does in this command.</param>
    public HeldOutFlags(string countDescription) =>
        _count = new Option<int>("--held-out") { Description = countDescription, DefaultValueFactory = _ => 0 };

    /// <summary>Adds both options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_count);
        command.Options.Add(_rows);
    }

    /// <summary>The rows to set aside: how many (0 = none) and which.</summary>
    public HeldOutChoice Read(ParseResult parse)
    {
        int count = parse.GetValue(_count);
        if (count < 0) throw new CliInputException($"--held-out {count}: give a number of rows, 0 or more");
        string rows = parse.GetValue(_rows)!;
        var kind = rows.ToLowerInvariant() switch
        {
            "any" => HeldOutRows.Any,
            "whole" => HeldOutRows.Whole,
            _ => throw new CliInputException($"--held-out-rows {rows}: expected any or whole"),
        };
        if (kind != HeldOutRows.Any && count == 0) throw new CliInputException($"--held-out-rows {rows} needs --held-out N (the number of rows to set aside)");
        return new HeldOutChoice(count, kind);
    }
}

/// <summary>The training rows a command sets aside: <paramref name="Count"/> rows (0 = none) of kind <paramref name="Rows"/>.</summary>
internal sealed record HeldOutChoice(int Count, HeldOutRows Rows)
{
    /// <summary>No rows set aside.</summary>
    public static HeldOutChoice None { get; } = new(0, HeldOutRows.Any);

    /// <summary>Splits <paramref name="all"/>, a task's training file (see <see cref="GlueDataset.SplitHeldOut(int, int, HeldOutRows)"/>).</summary>
    /// <exception cref="CliInputException">The file cannot be split so (too few whole rows, or sentence pairs).</exception>
    public (GlueDataset Training, GlueDataset HeldOut) Split(GlueDataset all)
    {
        try { return all.SplitHeldOut(Count, rows: Rows); }
        catch (ArgumentException e) { throw new CliInputException(CliApp.OneLine(e)); }
    }
}
