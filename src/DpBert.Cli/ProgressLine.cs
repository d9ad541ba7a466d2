namespace DpBert.Cli;

/// <summary>
/// A one-line progress counter on standard error, redrawn in place (only when standard error is a
/// terminal, so redirected logs stay clean).
/// </summary>
internal sealed class ProgressLine(TextWriter error, int total, string verb) : IProgress<int>
{
    private readonly bool _enabled = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected && total > 0;

    public void Report(int done)
    {
        if (_enabled) error.Write($"\r{verb} {done}/{total} ({100.0 * done / total:F0}%)");
    }

    public void Finish()
    {
        if (_enabled) error.WriteLine();
    }
}
