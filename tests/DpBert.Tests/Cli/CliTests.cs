using System.Text.Json;
using DpBert.Cli;
using DpBert.Inference;
using DpBert.Tests.Tokenization;
using static DpBert.Tests.CliRun;

namespace DpBert.Tests.Cli;

/// <summary>The <c>dpbert</c> commands, run in process with captured output.</summary>
public class CliTests
{
    private static string TinyModel => GoldenFiles.TinyModelFolder;

    [Fact]
    public void Predict_json_gives_the_models_logits_and_softmax()
    {
        var (code, stdout, stderr) = Run("predict", "--model", TinyModel, "--json", "a man is playing a guitar");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        var logits = root.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var probabilities = root.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var expected = TextClassifier.Load(TinyModel).Predict("a man is playing a guitar");
        Assert.Equal(expected.Logits, logits);
        double z = Math.Exp(logits[0]) + Math.Exp(logits[1]);
        Assert.Equal(Math.Exp(logits[1]) / z, probabilities[1], 6);
        Assert.Equal(["[CLS]", "a", "man", "is", "playing", "a", "guitar", "[SEP]"],
            root.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(logits[1] > logits[0] ? "LABEL_1" : "LABEL_0", root.GetProperty("label").GetString());
    }

    [Fact]
    public void Predict_prints_probabilities_tokens_and_time()
    {
        var (code, stdout, stderr) = Run("predict", "--model", TinyModel, "hello world", "a second segment");
        Assert.True(code == 0, stderr);
        var tokens = TextClassifier.Load(TinyModel).Predict("hello world", "a second segment").Tokens;
        Assert.Contains($"tokens ({tokens.Length}): {string.Join(' ', tokens)}", stdout);
        Assert.StartsWith("[CLS] hell ##o world [SEP] a second", string.Join(' ', tokens));
        Assert.Contains("<- predicted", stdout);
        Assert.Matches(@"time: +[0-9.]+ ms \(tokenize \+ forward, warm; the first call took [0-9]+ ms with JIT compilation; model loaded in [0-9]+ ms\)", stdout);
    }

    [Fact]
    public void Predict_input_file_gives_one_result_per_line_equal_to_single_predictions()
    {
        using var temp = new TempFolder();
        string path = temp.File("inputs.jsonl");
        string[] texts = ["tabs\tand\nnewlines", "unicode: naïve café 東京 😀", "short", "a much longer sentence that needs more padding than the others do"];
        File.WriteAllLines(path, texts.Select((t, i) => JsonSerializer.Serialize(new { text = t, text_pair = i == 2 ? "with a pair" : null }))
            .Append(""));
        var (code, stdout, stderr) = Run("predict", "--model", TinyModel, "--input", path, "--batch-size", "3");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(texts.Length, lines.Length);
        var single = TextClassifier.Load(TinyModel);
        for (int i = 0; i < texts.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            Assert.Equal(texts[i], doc.RootElement.GetProperty("text").GetString());
            var logits = doc.RootElement.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var expected = single.Predict(texts[i], i == 2 ? "with a pair" : null).Logits;
            for (int j = 0; j < logits.Length; j++) Assert.Equal(expected[j], logits[j], 5);
        }
    }

    [Fact]
    public void Malformed_input_line_is_reported_with_file_and_line_number()
    {
        using var temp = new TempFolder();
        string path = temp.File("bad.jsonl");
        File.WriteAllLines(path, ["{\"text\": \"fine\"}", "{\"txt\": \"typo\"}"]);
        var (code, _, stderr) = Run("predict", "--model", TinyModel, "--input", path);
        Assert.Equal(1, code);
        Assert.Contains($"{path}:2: unknown key \"txt\"", stderr);
        File.WriteAllLines(path, ["{\"text\": \"fine\"}", "", "not json"]);
        (code, _, stderr) = Run("tokenize", "--vocab", Path.Combine(TinyModel, "vocab.txt"), "--input", path);
        Assert.Equal(1, code);
        Assert.Contains($"{path}:3: not valid JSON", stderr);
    }

    [Fact]
    public void Missing_model_folder_and_files_are_named()
    {
        var (code, _, stderr) = Run("predict", "--model", "/no/such/folder", "text");
        Assert.Equal(1, code);
        Assert.Contains("model folder not found: /no/such/folder", stderr);
        using var temp = new TempFolder();
        File.Copy(Path.Combine(TinyModel, "config.json"), temp.File("config.json"));
        (code, _, stderr) = Run("predict", "--model", temp.Path, "text");
        Assert.Equal(1, code);
        Assert.Contains("neither model.safetensors nor pytorch_model.bin found", stderr);
    }

    [Fact]
    public void Usage_errors_exit_with_code_2()
    {
        var (code, _, stderr) = Run("predict", "text");
        Assert.Equal(2, code);
        Assert.Contains("--model", stderr);
    }

    [Fact]
    public void Tokenize_json_matches_hugging_face_on_golden_pairs()
    {
        var golden = TokenizerGoldenFile.Load("tricky-uncased.json");
        foreach (var pair in golden.Pairs.Take(20))
        {
            var (code, stdout, stderr) = Run("tokenize", "--vocab", golden.VocabPath, "--json", "--max-length", pair.MaxLength.ToString(), pair.A, pair.B);
            Assert.True(code == 0, stderr);
            using var doc = JsonDocument.Parse(stdout);
            Assert.Equal(pair.InputIds, doc.RootElement.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
            Assert.Equal(pair.TokenTypeIds, doc.RootElement.GetProperty("token_type_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
            Assert.Equal(pair.Tokens, doc.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!).ToArray());
        }
    }

    [Fact]
    public void Tokenize_cased_keeps_case_and_accents()
    {
        var golden = TokenizerGoldenFile.Load("tricky-cased.json");
        var sample = golden.Cases.First(c => c.Text.Any(char.IsUpper) && c.Tokens.Count > 0);
        var (code, stdout, stderr) = Run("tokenize", "--vocab", golden.VocabPath, "--cased", "--json", sample.Text);
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(sample.InputIds, doc.RootElement.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }
}
