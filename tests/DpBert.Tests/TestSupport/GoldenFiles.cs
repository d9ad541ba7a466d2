namespace DpBert.Tests;

/// <summary>
/// Locates the shared Hugging Face goldens: walks up from the test binaries to a folder named
/// <c>shared</c> that holds <c>golden</c> (the sibling of the clone, in CI and here).
/// </summary>
internal static class GoldenFiles
{
    public static string SharedFolder { get; } = FindSharedFolder();

    public static string TinyModelFolder => Path.Combine(SharedFolder, "golden", "bert-tiny-a");
    public static string TinyConfig => Path.Combine(TinyModelFolder, "config.json");
    public static string TinyModel => Path.Combine(TinyModelFolder, "model.safetensors");
    public static string TinyGrads => Path.Combine(TinyModelFolder, "grads.safetensors");
    public static string TinyGradsJson => Path.Combine(TinyModelFolder, "grads.json");

    private static string FindSharedFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "golden"))) return candidate;
        }
        throw new DirectoryNotFoundException($"no folder 'shared' containing 'golden' above {AppContext.BaseDirectory}");
    }
}
