namespace DpBert.Interactive.Formatting;

/// <summary>
/// One formatter in the shape .NET Interactive expects from a formatter source (matched by member names):
/// <see cref="Type"/>, <see cref="MimeType"/> and <see cref="Format"/>.
/// </summary>
public sealed class ViewFormatter
{
    /// <summary>The HTML MIME type.</summary>
    public const string Html = "text/html";

    /// <summary>The plain-text MIME type.</summary>
    public const string PlainText = "text/plain";

    /// <summary>Creates a formatter of <paramref name="type"/> (an <see cref="IHtmlView"/>) for <paramref name="mimeType"/>.</summary>
    /// <exception cref="ArgumentException">The type is not a view, or the MIME type is neither HTML nor plain text.</exception>
    public ViewFormatter(Type type, string mimeType)
    {
        if (!typeof(IHtmlView).IsAssignableFrom(type)) throw new ArgumentException($"{type} does not implement {nameof(IHtmlView)}", nameof(type));
        if (mimeType is not (Html or PlainText)) throw new ArgumentException($"unsupported MIME type {mimeType}; expected {Html} or {PlainText}", nameof(mimeType));
        Type = type;
        MimeType = mimeType;
    }

    /// <summary>The view type this formatter handles.</summary>
    public Type Type { get; }

    /// <summary><c>text/html</c> or <c>text/plain</c>.</summary>
    public string MimeType { get; }

    /// <summary>Writes <paramref name="instance"/>'s HTML (or its plain-text summary); false when it is not a view.</summary>
    public bool Format(object instance, TextWriter writer)
    {
        if (instance is not IHtmlView view) return false;
        writer.Write(MimeType == Html ? view.ToHtml() : view.ToString());
        return true;
    }
}
