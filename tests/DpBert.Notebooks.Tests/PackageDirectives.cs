using System.Text.RegularExpressions;

namespace DpBert.Notebooks.Tests;

/// <summary>
/// <c>#r "nuget: Name[, version]"</c> lines, which the kernel resolves from NuGet. The runner resolves
/// DpBert.Interactive and DpBert.TorchSharp to the local build instead (the assemblies beside the tests) and refuses
/// any other package, since notebooks must run offline.
/// </summary>
internal static partial class PackageDirectives
{
    public const string LocalPackage = "DpBert.Interactive";
    private static readonly string[] LocalPackages = [LocalPackage, "DpBert.TorchSharp"];

    [GeneratedRegex("""^\s*#r\s+"nuget:\s*([^,"\s]+)\s*(?:,\s*[^"]*)?"\s*$""")]
    private static partial Regex NugetDirective();

    /// <summary>The cell without its package lines (each replaced by an empty line, so line numbers stay), and the packages asked for.</summary>
    /// <exception cref="InvalidOperationException">A package other than DpBert.Interactive.</exception>
    public static (string Code, IReadOnlyList<string> Packages) Strip(string source)
    {
        var packages = new List<string>();
        var lines = source.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var match = NugetDirective().Match(lines[i].TrimEnd('\r'));
            if (!match.Success) continue;
            string name = match.Groups[1].Value;
            if (!LocalPackages.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new InvalidOperationException($"line {i + 1}: #r \"nuget: {name}\" cannot be resolved offline; notebooks may only load {string.Join(" and ", LocalPackages)}");
            packages.Add(name);
            lines[i] = "";
        }
        return (string.Join('\n', lines), packages);
    }

    /// <summary>The C# sections of a .dib script (its <c>#!meta</c> and other kernels' sections are left out).</summary>
    public static IReadOnlyList<string> CSharpSectionsOfDib(string dib)
    {
        var sections = new List<string>();
        string? kernel = null;
        var current = new List<string>();
        foreach (string line in dib.Split('\n').Append("#!end"))
        {
            if (line.StartsWith("#!", StringComparison.Ordinal))
            {
                if (kernel == "csharp" && current.Any(l => l.Trim().Length > 0)) sections.Add(string.Join('\n', current));
                kernel = line[2..].Trim();
                current.Clear();
            }
            else current.Add(line);
        }
        return sections;
    }
}
