using System.Diagnostics;

namespace DpBert.Notebooks.Tests;

/// <summary>
/// The Debian tools the notebook tests drive: nbformat's validator, nbconvert and headless Chromium. A missing
/// tool fails the test with the package to install (CI installs them in .ci/run).
/// </summary>
internal static class ExternalTools
{
    /// <summary>Debian's interpreter, which sees the python3-* packages (another python3 may come first on PATH).</summary>
    private static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    private const string Chromium = "/usr/bin/chromium";

    /// <summary>Validates <paramref name="notebook"/> against the nbformat 4 schema.</summary>
    public static void ValidateNotebook(string notebook)
    {
        RequirePythonModule("nbformat", "python3-nbformat");
        // -W error: nbformat's warnings (a cell without an id, say) are future errors; fail on them now.
        Run(Python, ["-W", "error", "-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print('valid')", notebook], TimeSpan.FromMinutes(1));
    }

    /// <summary>Converts <paramref name="notebook"/> to HTML next to <paramref name="outputFolder"/>; returns the HTML path.</summary>
    public static string ConvertToHtml(string notebook, string outputFolder)
    {
        RequirePythonModule("nbconvert", "python3-nbconvert jupyter-nbconvert");
        Run(Python, ["-m", "nbconvert", "--to", "html", "--output-dir", outputFolder, notebook], TimeSpan.FromMinutes(2));
        return Path.Combine(outputFolder, Path.ChangeExtension(Path.GetFileName(notebook), ".html"));
    }

    /// <summary>Screenshots <paramref name="html"/> in headless Chromium at 1200 x <paramref name="height"/> pixels.</summary>
    public static void Screenshot(string html, string png, int height = 5000)
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"{Chromium} not found: install Debian's chromium (apt-get install -y chromium); .ci/run does");
        string profile = Path.Combine(Path.GetTempPath(), $"dpbert-chromium-{Guid.NewGuid():N}");
        try
        {
            Run(Chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars", $"--user-data-dir={profile}",
                $"--screenshot={png}", $"--window-size=1200,{height}", new Uri(Path.GetFullPath(html)).AbsoluteUri], TimeSpan.FromMinutes(2));
        }
        finally { if (Directory.Exists(profile)) Directory.Delete(profile, recursive: true); }
        if (!File.Exists(png)) throw new InvalidOperationException($"chromium wrote no screenshot to {png}");
    }

    private static void RequirePythonModule(string module, string packages)
    {
        var (code, _) = TryRun(Python, ["-c", $"import {module}"], TimeSpan.FromMinutes(1));
        if (code != 0) throw new InvalidOperationException($"{Python} cannot import {module}: install Debian's {packages} (apt-get install -y {packages}); .ci/run does");
    }

    private static string Run(string program, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var (code, log) = TryRun(program, arguments, timeout);
        if (code != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {code}:\n{log}");
        return log;
    }

    private static (int ExitCode, string Log) TryRun(string program, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {timeout}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
