using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace DpBert.Notebooks.Tests;

/// <summary>How long one code cell took.</summary>
internal sealed record CellTiming(int CellIndex, TimeSpan Elapsed);

/// <summary>A notebook run to the end: the notebook with its outputs, and the time each cell took.</summary>
internal sealed record NotebookRun(NotebookDocument Notebook, IReadOnlyList<CellTiming> Cells, TimeSpan Elapsed);

/// <summary>A cell that failed to compile or threw; the message names the notebook and the cell.</summary>
internal sealed class NotebookCellException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs a C# notebook top to bottom as the .NET Interactive C# kernel does: each code cell is a Roslyn script
/// submission continuing the previous one's state (variables, usings, references), <c>display(...)</c> and the
/// cell's last value are formatted by the real formatter, Console output becomes stream outputs, and
/// <c>#r "nuget: DpBert.Interactive"</c> loads the local build and runs its extension.dib.
/// The working directory is the notebook's folder, as in Jupyter.
/// </summary>
internal sealed class NotebookRunner
{
    private static readonly string[] KernelImports = ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Text", "System.Threading.Tasks"];
    private readonly string _assemblyFolder = AppContext.BaseDirectory;

    /// <summary>Runs <paramref name="path"/> with <paramref name="environment"/> set for the duration of the run.</summary>
    /// <exception cref="NotebookCellException">A cell failed.</exception>
    public async Task<NotebookRun> RunAsync(string path, IReadOnlyDictionary<string, string?> environment)
    {
        var notebook = NotebookDocument.Load(path);
        var saved = environment.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        string savedDirectory = Directory.GetCurrentDirectory();
        foreach (var (name, value) in environment) Environment.SetEnvironmentVariable(name, value);
        Directory.SetCurrentDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try { return await RunCellsAsync(notebook); }
        finally
        {
            Directory.SetCurrentDirectory(savedDirectory);
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        }
    }

    private async Task<NotebookRun> RunCellsAsync(NotebookDocument notebook)
    {
        var globals = new NotebookGlobals();
        var options = ScriptOptions.Default.WithReferences(FrameworkReferences()).WithImports(KernelImports)
            .WithLanguageVersion(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest).WithEmitDebugInformation(true);
        ScriptState<object>? state = null;
        bool packageLoaded = false;
        int executionCount = 0;
        var timings = new List<CellTiming>();
        var total = Stopwatch.StartNew();
        var cells = notebook.Cells;
        for (int index = 0; index < cells.Count; index++)
        {
            var cell = cells[index];
            if (cell["cell_type"]?.GetValue<string>() != "code") continue;
            string where = $"{notebook.Name}, cell {index} (execution {executionCount + 1})";
            var outputs = new CellOutputs();
            globals.StartCell(outputs);
            var clock = Stopwatch.StartNew();
            try
            {
                var (code, packages) = PackageDirectives.Strip(KernelCode(NotebookDocument.SourceOf(cell)));
                var submissions = new List<string>();
                if (packages.Count > 0 && !packageLoaded)
                {
                    options = options.AddReferences(PackageAssemblies());
                    submissions.AddRange(PackageDirectives.CSharpSectionsOfDib(File.ReadAllText(ExtensionScript())));
                    packageLoaded = true;
                }
                submissions.Add(code);
                using (new ConsoleCapture(outputs))
                {
                    foreach (string submission in submissions)
                        state = state is null
                            ? await CSharpScript.RunAsync(submission, options, globals, typeof(NotebookGlobals))
                            : await state.ContinueWithAsync(submission, options);
                }
                executionCount++;
                if (state?.ReturnValue is { } value) outputs.Result(executionCount, MimeBundle.Of(value));
            }
            catch (CompilationErrorException e)
            {
                throw new NotebookCellException($"{where} does not compile:\n{string.Join('\n', e.Diagnostics)}\n--- cell source ---\n{NotebookDocument.SourceOf(cell)}", e);
            }
            catch (Exception e) when (e is not NotebookCellException)
            {
                string printed = string.Concat(outputs.Items.Where(o => o["output_type"]!.GetValue<string>() == "stream").Select(o => string.Concat(((JsonArray)o["text"]!).Select(l => l!.GetValue<string>()))));
                throw new NotebookCellException($"{where} failed: {e.GetType().Name}: {e.Message}\n--- cell output ---\n{printed}\n--- cell source ---\n{NotebookDocument.SourceOf(cell)}", e);
            }
            NotebookDocument.SetOutputs(cell, executionCount, outputs.Items);
            timings.Add(new CellTiming(index, clock.Elapsed));
        }
        return new NotebookRun(notebook, timings, total.Elapsed);
    }

    /// <summary>Drops a leading <c>#!csharp</c> (Polyglot's cell-kernel marker); any other magic command is refused.</summary>
    private static string KernelCode(string source)
    {
        var lines = source.Split('\n').ToList();
        if (lines.Count > 0 && lines[0].TrimEnd('\r').Trim() == "#!csharp") lines[0] = "";
        var magic = lines.FirstOrDefault(l => l.TrimStart().StartsWith("#!", StringComparison.Ordinal));
        if (magic is not null) throw new InvalidOperationException($"magic command not supported by the runner: {magic.Trim()}");
        return string.Join('\n', lines);
    }

    /// <summary>The shared framework's assemblies, as the kernel references them.</summary>
    private static IEnumerable<MetadataReference> FrameworkReferences()
    {
        string frameworkFolder = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Directory.GetFiles(frameworkFolder, "*.dll")
            .Where(f => Path.GetFileName(f) is var n && (n.StartsWith("System.", StringComparison.Ordinal) || n is "netstandard.dll" or "mscorlib.dll" or "Microsoft.CSharp.dll"))
            .Where(IsManagedAssembly)
            .Select(f => MetadataReference.CreateFromFile(f));
    }

    private static bool IsManagedAssembly(string path)
    {
        try { System.Reflection.AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }

    /// <summary>The local build of the packages: DpBert.Interactive and its dependency DpBert, DpBert.TorchSharp and TorchSharp.</summary>
    private IEnumerable<MetadataReference> PackageAssemblies() =>
        new[] { "DpBert.dll", "DpBert.Interactive.dll", "DpBert.TorchSharp.dll", "TorchSharp.dll" }.Select(f => MetadataReference.CreateFromFile(Path.Combine(_assemblyFolder, f)));

    private string ExtensionScript() => Path.Combine(_assemblyFolder, "interactive-extensions", "dotnet", "extension.dib");
}
