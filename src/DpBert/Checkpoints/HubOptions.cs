namespace DpBert.Checkpoints;

/// <summary>
/// Where <see cref="HubClient"/> downloads from and caches to, with the defaults <c>huggingface_hub</c> takes from
/// the environment, so Python and .NET share one cache: <c>HF_ENDPOINT</c> (default <c>https://huggingface.co</c>),
/// <c>HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>$XDG_CACHE_HOME/huggingface/hub</c>, else
/// <c>~/.cache/huggingface/hub</c>; <c>HF_TOKEN</c> (sent as a bearer token); <c>HF_HUB_OFFLINE=1</c>
/// (serve from the cache only); <c>HF_HUB_ETAG_TIMEOUT</c> and <c>HF_HUB_DOWNLOAD_TIMEOUT</c> (seconds, default 10).
/// </summary>
public sealed record HubOptions
{
    /// <summary>The public Hugging Face Hub.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Base URL; files resolve at <c>{Endpoint}/{repo}/resolve/{revision}/{file}</c>.</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>The hub cache folder (the one holding <c>models--ORG--NAME</c>).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>Access token for private or gated models; null sends none.</summary>
    public string? Token { get; init; }

    /// <summary>Serve everything from the cache and never touch the network.</summary>
    public bool Offline { get; init; }

    /// <summary>
    /// Link snapshot files to their blobs with relative symlinks, as <c>huggingface_hub</c> does (default). False
    /// copies the blob instead, for file systems without symlinks; a copy is also made whenever creating a symlink fails.
    /// </summary>
    public bool UseSymlinks { get; init; } = true;

    /// <summary>How long to wait for another process downloading the same file (default 10 minutes).</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts per file when the connection breaks; each retry resumes with a <c>Range</c> request (default 5).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>A download that receives nothing for this long is abandoned and resumed (default 10 s, <c>huggingface_hub</c>'s <c>HF_HUB_DOWNLOAD_TIMEOUT</c>).</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Timeout of the metadata (HEAD) request (default 10 s, as <c>huggingface_hub</c>).</summary>
    public TimeSpan MetadataTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The options the process environment gives (see the type's summary).</summary>
    public static HubOptions FromEnvironment() =>
        FromVariables(Environment.GetEnvironmentVariable, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>The environment rule with its inputs explicit, so it can be tested without touching process state.</summary>
    /// <param name="variable">Reads an environment variable (null when unset).</param>
    /// <param name="homeDirectory">The user's home folder.</param>
    public static HubOptions FromVariables(Func<string, string?> variable, string homeDirectory)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? Get(string name) => string.IsNullOrWhiteSpace(variable(name)) ? null : variable(name)!.Trim();
        string hfHome = Get("HF_HOME")
            ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(homeDirectory, ".cache"), "huggingface");
        return new HubOptions
        {
            Endpoint = (Get("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/'),
            CacheDirectory = Get("HF_HUB_CACHE") ?? Path.Combine(hfHome, "hub"),
            Token = Get("HF_TOKEN"),
            Offline = IsTrue(Get("HF_HUB_OFFLINE")),
            MetadataTimeout = Seconds(Get("HF_HUB_ETAG_TIMEOUT")) ?? TimeSpan.FromSeconds(10),
            DownloadTimeout = Seconds(Get("HF_HUB_DOWNLOAD_TIMEOUT")) ?? TimeSpan.FromSeconds(10),
        };
    }

    private static TimeSpan? Seconds(string? value) =>
        double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds) : null;

    /// <summary><c>huggingface_hub</c>'s truthy values: 1, ON, YES, TRUE (any case).</summary>
    private static bool IsTrue(string? value) =>
        value is not null && (value.ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE");
}
