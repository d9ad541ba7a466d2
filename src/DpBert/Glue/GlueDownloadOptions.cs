namespace DpBert.Glue;

/// <summary>
/// Where <see cref="GlueDownloader"/> fetches from. The defaults are the URLs of the final <c>download_glue_data.py</c>:
/// the task archives under <c>https://dl.fbaipublicfiles.com/glue/data/</c>, MRPC's SentEval files under
/// <c>https://dl.fbaipublicfiles.com/senteval/senteval_data/</c> and its dev-set ids on Firebase. A
/// <see cref="BaseUrl"/> (a mirror, or a test server) serves every file, archives and MRPC's alike, under one folder.
/// </summary>
public sealed record GlueDownloadOptions
{
    /// <summary>The environment variable that overrides the base URL.</summary>
    public const string BaseUrlVariable = "GLUE_BASE_URL";

    /// <summary>Where the official task archives are.</summary>
    public const string OfficialArchiveBase = "https://dl.fbaipublicfiles.com/glue/data";

    /// <summary>Where the official MRPC text files are (GLUE does not host MRPC itself).</summary>
    public const string OfficialMrpcBase = "https://dl.fbaipublicfiles.com/senteval/senteval_data";

    /// <summary>The MRPC dev-set ids the official script downloads.</summary>
    public const string OfficialMrpcDevIds =
        "https://firebasestorage.googleapis.com/v0/b/mtl-sentence-representations.appspot.com/o/data%2Fmrpc_dev_ids.tsv?alt=media&token=ec5c0836-31d5-48f4-b431-7480817f1adc";

    /// <summary>A mirror holding every file (<c>SST-2.zip</c>, ..., <c>msr_paraphrase_train.txt</c>, <c>msr_paraphrase_test.txt</c>, <c>mrpc_dev_ids.tsv</c>); null uses the official URLs.</summary>
    public string? BaseUrl { get; init; }

    /// <summary>Expected SHA-256 (hex) by downloaded file name, e.g. <c>SST-2.zip</c>; files not listed are checked for structure only.</summary>
    public IReadOnlyDictionary<string, string> Sha256 { get; init; } = new Dictionary<string, string>();

    /// <summary>Replace task folders that already exist (default: keep them and say so).</summary>
    public bool Force { get; init; }

    /// <summary>The URL of a downloaded file: under <see cref="BaseUrl"/> when given, else its official place.</summary>
    /// <exception cref="ArgumentException"><see cref="BaseUrl"/> is not an absolute http(s) URL.</exception>
    internal Uri UrlOf(string fileName) => BaseUrl is { } mirror
        ? Uri.TryCreate($"{mirror.TrimEnd('/')}/{Uri.EscapeDataString(fileName)}", UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new ArgumentException($"GLUE base URL \"{mirror}\" is not an absolute http:// or https:// URL")
        : new Uri(fileName switch
        {
            GlueArchives.MrpcTrainFile or GlueArchives.MrpcTestFile => $"{OfficialMrpcBase}/{fileName}",
            GlueArchives.MrpcDevIdsFile => OfficialMrpcDevIds,
            _ => $"{OfficialArchiveBase}/{fileName}",
        });
}
