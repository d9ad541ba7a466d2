using System.Text;

namespace DpBert.Interactive.Html;

/// <summary>
/// Writes HTML that is also well-formed XML: every element closed (empty ones as <c>&lt;rect /&gt;</c>), every
/// attribute quoted, every piece of text escaped. Views never concatenate markup by hand, so a token such as
/// <c>&lt;script&gt;</c> can only ever appear as text.
/// </summary>
internal sealed class HtmlBuilder
{
    private readonly StringBuilder _html = new();
    private readonly Stack<string> _open = new();

    /// <summary>Opens <paramref name="tag"/>; attributes whose value is null are left out.</summary>
    public HtmlBuilder Open(string tag, params (string Name, string? Value)[] attributes)
    {
        WriteStartTag(tag, attributes);
        _html.Append('>');
        _open.Push(tag);
        return this;
    }

    /// <summary>Closes the innermost open element.</summary>
    public HtmlBuilder Close()
    {
        _html.Append("</").Append(_open.Pop()).Append('>');
        return this;
    }

    /// <summary>An element holding only <paramref name="text"/>.</summary>
    public HtmlBuilder Element(string tag, string text, params (string Name, string? Value)[] attributes) =>
        Open(tag, attributes).Text(text).Close();

    /// <summary>An element without content, written <c>&lt;tag ... /&gt;</c>.</summary>
    public HtmlBuilder Empty(string tag, params (string Name, string? Value)[] attributes)
    {
        WriteStartTag(tag, attributes);
        _html.Append(" />");
        return this;
    }

    /// <summary>Escaped text.</summary>
    public HtmlBuilder Text(string text)
    {
        Escape(text, _html);
        return this;
    }

    /// <summary>Nests another view's markup (already well-formed and escaped by its own builder).</summary>
    public HtmlBuilder View(IHtmlView view)
    {
        _html.Append(view.ToHtml());
        return this;
    }

    /// <summary>The markup; every element must be closed.</summary>
    public override string ToString()
    {
        if (_open.Count > 0) throw new InvalidOperationException($"unclosed element <{_open.Peek()}>");
        return _html.ToString();
    }

    private void WriteStartTag(string tag, (string Name, string? Value)[] attributes)
    {
        _html.Append('<').Append(tag);
        foreach (var (name, value) in attributes)
        {
            if (value is null) continue;
            _html.Append(' ').Append(name).Append("=\"");
            Escape(value, _html);
            _html.Append('"');
        }
    }

    /// <summary>Escapes the five XML special characters and drops control characters that XML forbids.</summary>
    public static void Escape(string text, StringBuilder output)
    {
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': output.Append("&amp;"); break;
                case '<': output.Append("&lt;"); break;
                case '>': output.Append("&gt;"); break;
                case '"': output.Append("&quot;"); break;
                case '\'': output.Append("&#39;"); break;
                case '\t' or '\n' or '\r': output.Append(c); break;
                case < ' ': output.Append('\uFFFD'); break;
                default: output.Append(c); break;
            }
        }
    }
}
