namespace DpBert.Interactive.Formatting;

/// <summary>
/// The formatter source named by every view's <c>TypeFormatterSource</c> attribute. .NET Interactive creates
/// it by reflection and calls <see cref="CreateTypeFormatters"/> the first time a view is displayed.
/// </summary>
public sealed class ViewFormatterSource
{
    /// <summary>An HTML and a plain-text formatter for every view type of this assembly.</summary>
    public IEnumerable<object> CreateTypeFormatters()
    {
        foreach (var type in ViewTypes)
        {
            yield return new ViewFormatter(type, ViewFormatter.Html);
            yield return new ViewFormatter(type, ViewFormatter.PlainText);
        }
    }

    /// <summary>The public types of this assembly that implement <see cref="IHtmlView"/>.</summary>
    public static IReadOnlyList<Type> ViewTypes { get; } = typeof(IHtmlView).Assembly.GetExportedTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IHtmlView).IsAssignableFrom(t))
        .OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
}
