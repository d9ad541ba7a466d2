using System.Reflection;
using System.Runtime.Loader;
using DpBert.Interactive;

namespace DpBert.Interactive.KernelExtension;

/// <summary>
/// DpBert.Interactive.Plotly and Plotly.NET, loaded from the package's <c>interactive-extensions/dotnet/plotly</c> folder
/// into their own <see cref="AssemblyLoadContext"/>. Plotly.NET 6 needs FSharp.Core 10.1, and the kernel (tool
/// 1.0.712001) has FSharp.Core 10.0 loaded in the default context, where Plotly.NET fails with a FileLoadException.
/// In this context every assembly found in the folder (Plotly.NET, its FSharp.Core, DynamicObj, ...) is its own copy;
/// everything else, DpBert and DpBert.Interactive included, is shared with the kernel, so charts receive the notebook's
/// own result objects and return HTML strings.
/// </summary>
public sealed class PlotlyCompanion : AssemblyLoadContext
{
    /// <summary>The folder beside the extension that holds the companion.</summary>
    public const string FolderName = "plotly";
    private const string CompanionAssembly = "DpBert.Interactive.Plotly";
    private readonly string _folder;

    private PlotlyCompanion(string folder) : base($"DpBert.Interactive.Plotly ({folder})") => _folder = folder;

    /// <summary>Loads the companion from <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder or its DpBert.Interactive.Plotly.dll is missing.</exception>
    public static PlotlyCompanion Load(string folder)
    {
        string main = Path.Combine(folder, CompanionAssembly + ".dll");
        if (!File.Exists(main)) throw new DirectoryNotFoundException($"{main} not found: the DpBert.Interactive package is incomplete (interactive-extensions/dotnet/{FolderName})");
        var context = new PlotlyCompanion(folder);
        var assembly = context.LoadFromAssemblyPath(main);
        context._render = assembly.GetType("DpBert.Interactive.Plotly.PlotlyHtml", throwOnError: true)!
            .GetMethod("Render", BindingFlags.Public | BindingFlags.Static, [typeof(InteractiveChart)])
            ?? throw new MissingMethodException("DpBert.Interactive.Plotly.PlotlyHtml", "Render(InteractiveChart)");
        return context;
    }

    private MethodInfo? _render;

    /// <summary>The chart's HTML, built by Plotly.NET in this context.</summary>
    public string Render(InteractiveChart chart)
    {
        try { return (string)_render!.Invoke(null, [chart])!; }
        catch (TargetInvocationException e) when (e.InnerException is not null) { throw e.InnerException; }
    }

    /// <inheritdoc/>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        string path = Path.Combine(_folder, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
