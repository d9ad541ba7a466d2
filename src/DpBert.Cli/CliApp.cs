using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DpBert.Cli;

/// <summary>
/// The <c>dpbert</c> command line. <see cref="Run"/> is the whole program, with its output streams as
/// parameters so tests can run it in process.
/// </summary>
public static class CliApp
{
    /// <summary>JSON output settings: snake_case names, Unicode written as is, one object per line.</summary>
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Parses <paramref name="args"/>, runs the command and returns the exit code (0 success, 1 failure, 2 usage, 130 stopped by Ctrl-C).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("dpbert: BERT inference in .NET with DPBERT dynamic layer planning.")
        {
            PredictCommand.Create(),
            EmbedCommand.Create(),
            TokenizeCommand.Create(),
            PretrainCommand.Create(),
            FinetuneCommand.Create(),
            PlanCommand.Create(),
            ExitsCommand.Create(),
            OracleCommand.Create(),
            StaticCommand.Create(),
            AverageCommand.Create(),
            EvaluateCommand.Create(),
            TradeoffCommand.Create(),
            SeedsCommand.Create(),
            DownloadCommand.Create(),
            ExportCommand.Create(),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) error.WriteLine($"error: {e.Message}");
            error.WriteLine("Run 'dpbert --help' for usage.");
            return 2;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or NotSupportedException or HttpRequestException or FormatException or CliInputException)
        {
            // Expected failures (a missing file, a malformed input, a bad value) get one clear line, no stack trace.
            error.WriteLine($"error: {OneLine(e)}");
            return 1;
        }
    }

    /// <summary>The exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it), so that <c>finetune &amp;&amp; plan</c> stops there too.</summary>
    public const int Interrupted = 130;

    /// <summary>The message on one line, without .NET's parameter-name suffix and "Actual value was" line.</summary>
    internal static string OneLine(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } name }) message = message.Replace($" (Parameter '{name}')", "");
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith("Actual value was", StringComparison.Ordinal));
        return string.Join(" ", lines);
    }
}

/// <summary>A problem with the user's input (file, line, value), reported without a stack trace.</summary>
public sealed class CliInputException(string message) : Exception(message);
