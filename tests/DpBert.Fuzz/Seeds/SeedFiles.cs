using DpBert.Tests;

namespace DpBert.Fuzz;

/// <summary>Where seeds come from: the goldens and GLUE data in ../shared, and files the tests' fixture builders write.</summary>
internal static class SeedFiles
{
    /// <summary>The golden tiny BERT folder (config, vocab, tokenizer config, safetensors, .bin).</summary>
    public static string TinyModelFolder => GoldenFiles.TinyModelFolder;

    /// <summary>A file of ../shared, by its path under it.</summary>
    public static string Shared(params string[] parts) => Path.Combine([GoldenFiles.SharedFolder, .. parts]);

    /// <summary>The bytes a builder writes to a path (builders of the tests write files).</summary>
    public static byte[] Built(Action<string> write)
    {
        string path = Path.Combine(Path.GetTempPath(), $"dpbert-fuzz-seed-{Guid.NewGuid():N}");
        try
        {
            write(path);
            return File.ReadAllBytes(path);
        }
        finally { File.Delete(path); }
    }

    /// <summary>The five special tokens, as a vocabulary file spells them.</summary>
    public static readonly string[] SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>The first <paramref name="count"/> lines of a text file, each ending in \n.</summary>
    public static byte[] FirstLines(string path, int count) =>
        System.Text.Encoding.UTF8.GetBytes(string.Concat(File.ReadLines(path).Take(count).Select(l => l + "\n")));
}
