namespace DpBert.Interactive;

/// <summary>
/// A view that renders itself as self-contained HTML (inline SVG, no script, no external resources). Every
/// view is immutable, so <see cref="ToHtml"/> is a pure function of the data it was built from.
/// </summary>
public interface IHtmlView
{
    /// <summary>The view as one HTML fragment, well-formed as XML.</summary>
    string ToHtml();
}
