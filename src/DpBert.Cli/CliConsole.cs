using Spectre.Console;

namespace DpBert.Cli;

/// <summary>
/// Spectre.Console consoles over the command's output streams: live (progress bars redrawn in place, colours) only
/// when the stream is the process's own terminal, plain text otherwise (redirected logs, tests), so logs stay clean.
/// </summary>
internal static class CliConsole
{
    /// <summary>A console writing to <paramref name="writer"/>.</summary>
    public static IAnsiConsole For(TextWriter writer)
    {
        bool live = IsTerminal(writer);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = live ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = live ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = live ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!live) console.Profile.Width = 400;   // tables are not wrapped in files
        return console;
    }

    /// <summary>True when <paramref name="writer"/> is standard output or error and that stream is a terminal.</summary>
    public static bool IsTerminal(TextWriter writer) =>
        (ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected) || (ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected);
}

/// <summary>
/// A Spectre.Console progress display that runs while a command works, for progress that arrives through
/// <see cref="IProgress{T}"/> callbacks: <see cref="Start"/> shows it (on a terminal only), tasks are added and
/// updated from the callbacks, lines written with <see cref="WriteLine"/> appear above it, and <see cref="Stop"/>
/// leaves it in its final state.
/// </summary>
internal sealed class LiveProgress
{
    private readonly IAnsiConsole _console;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ProgressContext? _context;
    private Task? _display;

    private LiveProgress(IAnsiConsole console) => _console = console;

    /// <summary>Shows a display with <paramref name="columns"/> on <paramref name="writer"/>; null when it is not a terminal.</summary>
    public static LiveProgress? Start(TextWriter writer, params ProgressColumn[] columns)
    {
        if (!CliConsole.IsTerminal(writer)) return null;
        var live = new LiveProgress(CliConsole.For(writer));
        using var ready = new ManualResetEventSlim();
        live._display = live._console.Progress().AutoClear(false).HideCompleted(false).Columns(columns).StartAsync(async ctx =>
        {
            live._context = ctx;
            ready.Set();
            await live._finished.Task;
        });
        ready.Wait();
        return live;
    }

    /// <summary>Adds a task (a row of the display).</summary>
    public ProgressTask AddTask(string description, double maxValue) => _context!.AddTask(Markup.Escape(description), maxValue: maxValue);

    /// <summary>Writes a line above the display.</summary>
    public void WriteLine(string text) => _console.WriteLine(text);

    /// <summary>Ends the display, leaving its last state on screen.</summary>
    public void Stop()
    {
        if (_display is null) return;
        _context?.Refresh();
        _finished.TrySetResult();
        _display.GetAwaiter().GetResult();
        _display = null;
    }
}
