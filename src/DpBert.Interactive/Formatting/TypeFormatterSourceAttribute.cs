namespace DpBert.Interactive.Formatting;

/// <summary>
/// .NET Interactive's formatter looks for an attribute with exactly this name on a displayed type and asks the
/// <see cref="FormatterSourceType"/> for formatters. Declaring our own copy (matched by name, not by type)
/// lets the views render as HTML in notebooks without a compile-time dependency on .NET Interactive.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
internal sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    /// <summary>A type with a public parameterless constructor and a <c>CreateTypeFormatters()</c> method.</summary>
    public Type FormatterSourceType { get; } = formatterSourceType;

    /// <summary>MIME types the notebook should prefer for the decorated type.</summary>
    public string[] PreferredMimeTypes { get; set; } = [];
}
