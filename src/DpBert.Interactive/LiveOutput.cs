namespace DpBert.Interactive;

/// <summary>
/// One notebook output that long work replaces in place as it advances (a training run's progress and curves, a
/// sweep's points so far), so that the saved notebook keeps the final state. In the .NET Interactive kernel the
/// package's kernel extension sets <see cref="Host"/>; elsewhere each state's plain-text form is written to the
/// console.
/// <code>
/// var output = LiveOutput.Show(new TrainingStatus(null, TrainingCurves.FromProgress([])));
/// output.Update(newerStatus);
/// </code>
/// </summary>
public sealed class LiveOutput
{
    private readonly Action<object> _replace;

    private LiveOutput(Action<object> replace) => _replace = replace;

    /// <summary>
    /// Shows a value and returns the action that replaces it in place. Set by the kernel extension; null outside a
    /// notebook kernel.
    /// </summary>
    public static Func<object, Action<object>>? Host { get; set; }

    /// <summary>Shows <paramref name="view"/> as a new output.</summary>
    public static LiveOutput Show(object view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (Host is { } host) return new LiveOutput(host(view));
        Console.WriteLine(view);
        return new LiveOutput(Console.WriteLine);
    }

    /// <summary>Replaces the shown value with <paramref name="view"/>.</summary>
    public void Update(object view)
    {
        ArgumentNullException.ThrowIfNull(view);
        _replace(view);
    }
}
