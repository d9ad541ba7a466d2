using DpBert.Interactive;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;

namespace DpBert.Interactive.KernelExtension;

/// <summary>
/// The usings a DpBert notebook needs beyond the kernel's defaults (System, System.Text, System.Collections(.Generic),
/// System.Linq, System.Threading.Tasks): System.IO, every public namespace of DpBert and DpBert.Interactive, and
/// Microsoft.Data.Analysis. Taken from the assemblies, so a namespace added or moved in DpBert needs no change here.
/// </summary>
public static class NotebookUsings
{
    /// <summary>The namespaces, in order.</summary>
    public static IReadOnlyList<string> Namespaces { get; } =
    [
        "System.IO",
        .. new[] { typeof(DpBert.Bert.BertConfig).Assembly, typeof(IHtmlView).Assembly }
            .SelectMany(a => a.GetExportedTypes()).Select(t => t.Namespace!).Where(n => n is not null).Distinct().Order(StringComparer.Ordinal),
        "Microsoft.Data.Analysis",
    ];

    /// <summary>The C# that brings them into scope.</summary>
    public static string Code => string.Concat(Namespaces.Select(n => $"using {n};\n"));

    /// <summary>Submits the usings to the C# kernel (found by name under a composite kernel, or <paramref name="kernel"/> itself).</summary>
    /// <exception cref="InvalidOperationException">There is no C# kernel, or it refused the usings.</exception>
    public static async Task AddAsync(Kernel kernel)
    {
        var csharp = kernel.FindKernelByName("csharp") ?? (kernel.Name == "csharp" ? kernel : null)
            ?? throw new InvalidOperationException("DpBert.Interactive: no C# kernel named \"csharp\" to add the usings to");
        var result = await csharp.SendAsync(new SubmitCode(Code));
        if (result.Events.OfType<Microsoft.DotNet.Interactive.Events.CommandFailed>().FirstOrDefault() is { } failed)
            throw new InvalidOperationException($"DpBert.Interactive: the usings did not compile: {failed.Message}\n{Code}");
    }
}
