using DpBert.Cli;

namespace DpBert.Tests;

/// <summary>Runs the <c>dpbert</c> command line in process, capturing what it prints (<c>using static DpBert.Tests.CliRun;</c>).</summary>
internal static class CliRun
{
    /// <summary>The exit code and the text written to standard output and standard error.</summary>
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
