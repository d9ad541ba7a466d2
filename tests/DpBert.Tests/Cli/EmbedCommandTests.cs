using System.Text.Json;
using DpBert.Cli;
using DpBert.Inference;
using static DpBert.Tests.CliRun;

namespace DpBert.Tests.Cli;

/// <summary><c>dpbert embed</c> on the imported MiniLM folder, in process.</summary>
public sealed class EmbedCommandTests
{
    private static string MiniLm => NuGetModelFiles.ImportedFolder(NuGetModelFiles.MiniLm);

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    [Fact]
    public void Json_gives_the_models_normalised_mean_pooled_vector_per_text()
    {
        var (code, stdout, stderr) = Run("embed", "--model", MiniLm, "--json", "A man is eating food.", "A man is eating a piece of bread.");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var expected = TextEmbedder.Load(MiniLm).Embed("A man is eating food.");
        using var doc = JsonDocument.Parse(lines[0]);
        var root = doc.RootElement;
        Assert.Equal("mean", root.GetProperty("pooling").GetString());
        Assert.True(root.GetProperty("normalized").GetBoolean());
        Assert.Equal(384, root.GetProperty("dimension").GetInt32());
        Assert.Equal(expected.Vector, Floats(root.GetProperty("embedding")));
        Assert.Equal(["[CLS]", "a", "man", "is", "eating", "food", ".", "[SEP]"], root.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    public void Pooling_none_gives_every_tokens_hidden_state()
    {
        var (code, stdout, stderr) = Run("embed", "--model", MiniLm, "--pooling", "none", "--json", "hello world");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var tokens = doc.RootElement.GetProperty("token_embeddings").EnumerateArray().Select(Floats).ToArray();
        Assert.Equal(4, tokens.Length); // [CLS] hello world [SEP]
        Assert.All(tokens, t => Assert.Equal(384, t.Length));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("embedding").ValueKind);
        var mean = Enumerable.Range(0, 384).Select(j => tokens.Average(t => (double)t[j])).ToArray();
        double norm = Math.Sqrt(mean.Sum(v => v * v));
        var pooled = TextEmbedder.Load(MiniLm).Embed("hello world").Vector;
        for (int j = 0; j < 384; j++) Assert.Equal(mean[j] / norm, pooled[j], 1e-6);
    }

    [Fact]
    public void Input_file_and_options_override_the_models_settings()
    {
        using var temp = new TempFolder();
        string path = temp.File("inputs.jsonl");
        File.WriteAllLines(path, ["{\"text\": \"first\"}", "", "{\"text\": \"second one\", \"text_pair\": \"with a pair\"}"]);
        var (code, stdout, stderr) = Run("embed", "--model", MiniLm, "--input", path, "--pooling", "cls", "--no-normalize");
        Assert.True(code == 0, stderr);
        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.Equal("cls", rows[0].GetProperty("pooling").GetString());
        Assert.False(rows[1].GetProperty("normalized").GetBoolean());
        Assert.Contains("[SEP]", rows[1].GetProperty("tokens").EnumerateArray().Select(e => e.GetString()).Skip(2).SkipLast(1));
    }

    [Fact]
    public void Human_output_shows_the_cosine_similarity_of_the_texts()
    {
        var (code, stdout, stderr) = Run("embed", "--model", MiniLm, "The weather is lovely today.", "It's so sunny outside!");
        Assert.True(code == 0, stderr);
        Assert.Contains("vector (384, mean pooling, L2-normalised)", stdout);
        Assert.Contains("0.6660", stdout); // sentence-transformers' quickstart value for this pair
    }

    [Theory]
    [InlineData("--pooling", "max", "--pooling max: expected cls, mean or none")]
    [InlineData("--normalize", "--no-normalize", "contradict")]
    public void Bad_options_are_explained(string a, string b, string message)
    {
        var (code, _, stderr) = Run("embed", "--model", MiniLm, a, b, "text");
        Assert.Equal(1, code);
        Assert.Contains(message, stderr);
    }
}
