using Microsoft.DotNet.Interactive.Formatting;

namespace DpBert.Notebooks.Tests;

/// <summary>
/// What the C# kernel sends for a value: text/html through the real .NET Interactive formatter (which finds
/// DpBert.Interactive's views by convention) plus text/plain; strings are plain text only.
/// </summary>
internal static class MimeBundle
{
    public static IReadOnlyDictionary<string, string> Of(object? value)
    {
        if (value is null) return new Dictionary<string, string> { ["text/plain"] = "<null>" };
        if (value is string text) return new Dictionary<string, string> { ["text/plain"] = text };
        return new Dictionary<string, string>
        {
            ["text/html"] = Formatter.ToDisplayString(value, "text/html"),
            ["text/plain"] = Formatter.ToDisplayString(value, "text/plain"),
        };
    }
}
