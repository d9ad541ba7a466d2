namespace DpBert.Checkpoints;

/// <summary>Parses the URLs built from user settings (a hub endpoint, a GLUE mirror) with an error that names the setting.</summary>
internal static class Url
{
    /// <summary>The absolute http or https URL <paramref name="text"/>.</summary>
    /// <param name="text">The URL.</param>
    /// <param name="setting">What it was built from, for the error, e.g. <c>hub endpoint "x" (HF_ENDPOINT)</c>.</param>
    /// <exception cref="ArgumentException">It is not an absolute http(s) URL.</exception>
    public static Uri Absolute(string text, string setting) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new ArgumentException($"{setting} is not an absolute http:// or https:// URL");
}
