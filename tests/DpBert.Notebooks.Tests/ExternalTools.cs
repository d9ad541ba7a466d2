using System.Diagnostics;

namespace DpBert.Notebooks.Tests;

/// <summary>
/// The real programs the notebook tests drive: Jupyter (nbconvert, with the .NET kernel `dotnet interactive`), nbformat's
/// validator, headless Chromium, and `dotnet pack`. A missing program fails the test with what to install (.ci/run
/// installs them all).
/// </summary>
internal static class ExternalTools
{
    /// <summary>Debian's interpreter, which sees the python3-* packages (another python3 may come first on PATH).</summary>
    private static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    private const string Chromium = "/usr/bin/chromium";
    private const string KernelName = ".net-csharp";

    /// <summary>PATH with the global .NET tools folder, where `dotnet interactive` lives.</summary>
    public static string PathWithDotnetTools
    {
        get
        {
            string tools = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools");
            string path = Environment.GetEnvironmentVariable("PATH") ?? "";
            return path.Split(Path.PathSeparator).Contains(tools) ? path : path + Path.PathSeparator + tools;
        }
    }

    /// <summary>Fails unless Jupyter knows the .NET C# kernel (`dotnet interactive jupyter install`) and `dotnet interactive` runs.</summary>
    public static void RequireDotnetKernel()
    {
        RequirePythonModule("nbconvert", "jupyter-nbconvert python3-nbconvert");
        RequirePythonModule("ipykernel", "python3-ipykernel");
        var (code, log) = TryRun(Python, ["-c", "import jupyter_client.kernelspec as k; print(sorted(k.find_kernel_specs()))"], TimeSpan.FromMinutes(1));
        if (code != 0 || !log.Contains(KernelName, StringComparison.Ordinal))
            throw new InvalidOperationException($"Jupyter has no {KernelName} kernel:\n{log}\nInstall it: dotnet tool install -g Microsoft.dotnet-interactive --version 1.0.712001, " +
                "then dotnet interactive jupyter install (.ci/run does, and adds --http-local-only to its kernel.json)");
        var (toolCode, toolLog) = TryRun("dotnet", ["interactive", "--version"], TimeSpan.FromMinutes(1), new Dictionary<string, string?> { ["PATH"] = PathWithDotnetTools });
        if (toolCode != 0) throw new InvalidOperationException($"`dotnet interactive --version` failed (is ~/.dotnet/tools on PATH?):\n{toolLog}");
    }

    /// <summary>
    /// Executes <paramref name="notebook"/> in Jupyter with the .NET C# kernel (nbconvert, working directory = the
    /// notebook's folder, so its NuGet.Config and relative paths apply) and writes the executed copy to
    /// <paramref name="executed"/>. Cells that fail leave their error outputs in the copy (checked by the caller).
    /// </summary>
    public static string Execute(string notebook, string executed, IReadOnlyDictionary<string, string?> environment, TimeSpan cellTimeout, TimeSpan timeout)
    {
        var env = new Dictionary<string, string?>(environment) { ["PATH"] = PathWithDotnetTools };
        return Run(Python, ["-m", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
            $"--ExecutePreprocessor.kernel_name={KernelName}", $"--ExecutePreprocessor.timeout={(int)cellTimeout.TotalSeconds}",
            "--output-dir", Path.GetDirectoryName(executed)!, "--output", Path.GetFileName(executed), notebook], timeout, env);
    }

    /// <summary>Validates <paramref name="notebook"/> against the nbformat 4 schema.</summary>
    public static void ValidateNotebook(string notebook)
    {
        RequirePythonModule("nbformat", "python3-nbformat");
        // -W error: nbformat's warnings (a cell without an id, say) are future errors; fail on them now.
        Run(Python, ["-W", "error", "-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print('valid')", notebook], TimeSpan.FromMinutes(1));
    }

    /// <summary>Converts <paramref name="notebook"/> to HTML in <paramref name="outputFolder"/>; returns the HTML path.</summary>
    public static string ConvertToHtml(string notebook, string outputFolder)
    {
        RequirePythonModule("nbconvert", "python3-nbconvert jupyter-nbconvert");
        Run(Python, ["-m", "nbconvert", "--to", "html", "--output-dir", outputFolder, notebook], TimeSpan.FromMinutes(2));
        return Path.Combine(outputFolder, Path.ChangeExtension(Path.GetFileName(notebook), ".html"));
    }

    /// <summary>
    /// Opens <paramref name="html"/> in headless Chromium with the network off (every host name resolves to nothing and
    /// every connection goes to a closed local port), lets its scripts run, writes a screenshot of the top
    /// 1200 x <paramref name="height"/> pixels and returns the DOM as the scripts left it.
    /// </summary>
    public static string RenderOffline(string html, string png, int height = 5000)
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"{Chromium} not found: install Debian's chromium (apt-get install -y chromium); .ci/run does");
        string url = new Uri(Path.GetFullPath(html)).AbsoluteUri;
        string[] offline = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", "--virtual-time-budget=20000"];
        string profile = Path.Combine(Path.GetTempPath(), $"dpbert-chromium-{Guid.NewGuid():N}");
        try
        {
            Run(Chromium, [.. offline, $"--user-data-dir={profile}", $"--screenshot={png}", $"--window-size=1200,{height}", url], TimeSpan.FromMinutes(3));
            if (!File.Exists(png)) throw new InvalidOperationException($"chromium wrote no screenshot to {png}");
            var start = new ProcessStartInfo(Chromium, [.. offline, $"--user-data-dir={profile}", "--dump-dom", url]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Chromium}");
            var dom = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium --dump-dom {url} did not finish within 3 minutes");
            }
            if (process.ExitCode != 0) throw new InvalidOperationException($"chromium --dump-dom {url} exited with {process.ExitCode}:\n{errors.Result}");
            return dom.Result;
        }
        finally { if (Directory.Exists(profile)) Directory.Delete(profile, recursive: true); }
    }

    /// <summary>`dotnet pack notebooks/LocalPackages.proj -p:NoBuild=true` into <paramref name="feed"/> with <paramref name="version"/>.</summary>
    public static string PackLocalFeed(string repository, string feed, string version, string configuration) =>
        Run("dotnet", ["pack", Path.Combine(repository, "notebooks", "LocalPackages.proj"), "-nologo", "-p:NoBuild=true", $"-p:Configuration={configuration}",
            $"-p:LocalVersion={version}", $"-p:LocalFeed={feed}{Path.DirectorySeparatorChar}"], TimeSpan.FromMinutes(5));

    private static void RequirePythonModule(string module, string packages)
    {
        var (code, _) = TryRun(Python, ["-c", $"import {module}"], TimeSpan.FromMinutes(1));
        if (code != 0) throw new InvalidOperationException($"{Python} cannot import {module}: install Debian's {packages} (apt-get install -y {packages}); .ci/run does");
    }

    private static string Run(string program, IReadOnlyList<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var (code, log) = TryRun(program, arguments, timeout, environment);
        if (code != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {code}:\n{log}");
        return log;
    }

    private static (int ExitCode, string Log) TryRun(string program, IReadOnlyList<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {timeout}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
