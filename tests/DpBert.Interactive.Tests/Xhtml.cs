using System.Xml.Linq;

namespace DpBert.Interactive.Tests;

/// <summary>Parses a view's HTML as XML, which fails on unclosed tags, unquoted attributes and unescaped text.</summary>
internal static class Xhtml
{
    public static XElement Parse(string html) => XElement.Parse("<root>" + html + "</root>");

    /// <summary>Elements named <paramref name="name"/> (ignoring the SVG namespace).</summary>
    public static IEnumerable<XElement> All(this XElement root, string name) => root.Descendants().Where(e => e.Name.LocalName == name);

    public static string? Attr(this XElement e, string name) => e.Attribute(name)?.Value;
}
