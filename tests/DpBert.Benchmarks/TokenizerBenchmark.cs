using DpBert.Tokenization;

namespace DpBert.Benchmarks;

/// <summary>
/// Tokenizer throughput on one thread over the SST-2 training sentences (<c>$GLUE_DIR/SST-2/train.tsv</c>,
/// else <c>../shared/glue</c>) with the bert-base-uncased vocabulary, after checking that the span-based
/// fast paths agree with the allocating API.
/// </summary>
internal static class TokenizerBenchmark
{
    public static void Run()
    {
        string shared = FindShared();
        string glue = Environment.GetEnvironmentVariable("GLUE_DIR") is { Length: > 0 } dir ? dir : Path.Combine(shared, "glue");
        string trainPath = Path.Combine(glue, "SST-2", "train.tsv");
        var sentences = File.ReadLines(trainPath).Skip(1)
            .Select(line => line.IndexOf('\t') is var tab and >= 0 ? line[..tab] : line)
            .ToArray();
        var tokenizer = BertTokenizer.FromVocabFile(Path.Combine(shared, "vocab", "bert-base-uncased", "vocab.txt"));

        Check(tokenizer, sentences);

        var ids = new int[512];
        long tokens = 0;
        foreach (string s in sentences) tokens += tokenizer.TokenizeToIds(s, ids);
        long encodedTokens = sentences.Sum(s => (long)tokenizer.EncodeToIds(s, ids.AsSpan(0, 128)));

        Measure("TokenizeToIds(span)", sentences.Length, tokens, () =>
        {
            foreach (string s in sentences) tokenizer.TokenizeToIds(s, ids);
        });
        Measure("EncodeToIds(span,128)", sentences.Length, encodedTokens, () =>
        {
            foreach (string s in sentences) tokenizer.EncodeToIds(s, ids.AsSpan(0, 128));
        });
        Measure("Encode (allocating)", sentences.Length, tokens + 2L * sentences.Length, () =>
        {
            foreach (string s in sentences) tokenizer.Encode(s);
        });
    }

    private static void Check(BertTokenizer tokenizer, string[] sentences)
    {
        int[] helloWorld = tokenizer.Encode("Hello, world!").InputIds;
        if (!helloWorld.SequenceEqual([101, 7592, 1010, 2088, 999, 102]))
            throw new InvalidOperationException($"tokenizer is wrong: \"Hello, world!\" -> [{string.Join(", ", helloWorld)}]");
        var ids = new int[512];
        foreach (string s in sentences.Take(2000))
        {
            int count = tokenizer.TokenizeToIds(s, ids);
            if (!ids.AsSpan(0, count).SequenceEqual(tokenizer.TokenizeToIds(s)))
                throw new InvalidOperationException($"TokenizeToIds(span) disagrees with TokenizeToIds(string) on \"{s}\"");
            count = tokenizer.EncodeToIds(s, ids.AsSpan(0, 16));
            if (!ids.AsSpan(0, count).SequenceEqual(tokenizer.Encode(s, maxLength: 16).InputIds))
                throw new InvalidOperationException($"EncodeToIds(span) disagrees with Encode on \"{s}\"");
        }
    }

    private static void Measure(string path, int sentences, long tokens, Action action)
    {
        var t = Timing.Measure(action, warmup: 2, minRuns: 5, minSeconds: 3);
        double tokensPerSecond = tokens / (t.MedianMs * 1e-3);
        Console.WriteLine($"tokenizer {path,-22} {sentences} sentences {tokens} tokens  median {t.MedianMs,8:F1} ms  {tokensPerSecond / 1e6,6:F2} M tokens/s  (p10 {t.P10Ms:F1}, p90 {t.P90Ms:F1}, {t.Runs} runs)");
        BenchmarkProgram.Report(new { bench = "tokenizer", path, sentences, tokens, median_ms = t.MedianMs, tokens_per_s = tokensPerSecond });
    }

    private static string FindShared()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared");
                if (Directory.Exists(Path.Combine(candidate, "vocab"))) return candidate;
            }
        }
        throw new DirectoryNotFoundException($"no 'shared' folder with 'vocab' above {AppContext.BaseDirectory}");
    }
}
