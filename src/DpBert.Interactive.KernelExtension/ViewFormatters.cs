using DpBert.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace DpBert.Interactive.KernelExtension;

/// <summary>Registers every view of DpBert.Interactive (<see cref="IHtmlView"/>) with the kernel's formatter: HTML first, plain text as the fallback.</summary>
public static class ViewFormatters
{
    /// <summary>The public view types of DpBert.Interactive.</summary>
    public static IReadOnlyList<Type> ViewTypes { get; } = typeof(IHtmlView).Assembly.GetExportedTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IHtmlView).IsAssignableFrom(t))
        .OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();

    /// <summary>Registers the HTML and plain-text formatters and makes HTML the preferred MIME type of every view.</summary>
    public static void Register()
    {
        foreach (var type in ViewTypes)
        {
            Formatter.Register(type, (value, writer) => writer.Write(((IHtmlView)value).ToHtml()), HtmlFormatter.MimeType);
            Formatter.Register(type, (value, writer) => writer.Write(value.ToString()), PlainTextFormatter.MimeType);
            Formatter.SetPreferredMimeTypesFor(type, HtmlFormatter.MimeType);
        }
    }
}
