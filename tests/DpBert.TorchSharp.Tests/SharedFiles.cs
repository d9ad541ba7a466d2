using System.Text.Json;

namespace DpBert.TorchSharp.Tests;

/// <summary>The Hugging Face goldens under <c>../shared/golden</c> (found by walking up from the test binaries) and JSON helpers.</summary>
internal static class SharedFiles
{
    public static string Shared { get; } = Find();
    public static string TinyModel => Path.Combine(Shared, "golden", "bert-tiny-a");
    public static string Glue => Path.Combine(Shared, "glue");

    public static int[][] Ints2(JsonElement e, string name) =>
        e.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();

    public static float[] Flatten(JsonElement e)
    {
        var values = new List<float>();
        void Walk(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array) foreach (var c in x.EnumerateArray()) Walk(c);
            else values.Add(x.GetSingle());
        }
        Walk(e);
        return values.ToArray();
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "golden"))) return candidate;
        }
        throw new DirectoryNotFoundException($"no folder 'shared' containing 'golden' above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fresh folder under the system temp path, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dpbert-torchsharp-tests-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
