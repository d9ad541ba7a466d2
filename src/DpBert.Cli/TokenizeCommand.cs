using System.CommandLine;
using System.Text.Json;
using DpBert.Tokenization;

namespace DpBert.Cli;

/// <summary><c>dpbert tokenize --vocab vocab.txt [--cased] [--max-length N] "text" ["text b"]</c>.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var vocab = new Option<string>("--vocab") { Description = "WordPiece vocabulary (vocab.txt).", Required = true };
        var cased = new Option<bool>("--cased") { Description = "Keep case and accents (for cased vocabularies); default lower-cases." };
        var maxLength = new Option<int?>("--max-length") { Description = "Truncate to this many tokens (specials included), longest_first as Hugging Face does." };
        var json = new Option<bool>("--json") { Description = "Print tokens, input_ids, token_type_ids, attention_mask as JSON." };
        var input = new Option<string?>("--input") { Description = "Read inputs from a JSON Lines file ({\"text\": ..., \"text_pair\": ...} per line); prints one JSON result per line." };
        var text = new Argument<string[]>("text") { Description = "The text, and optionally a second text (pair encoding).", Arity = new ArgumentArity(0, 2) };
        var command = new Command("tokenize", "Show how BERT's WordPiece tokenizer splits a text (or a pair).") { vocab, cased, maxLength, json, input, text };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            string[] texts = parse.GetValue(text) ?? [];
            string? inputPath = parse.GetValue(input);
            if (inputPath is null && texts.Length == 0) throw new CliInputException("give a text to tokenize, or --input FILE");
            if (inputPath is not null && texts.Length > 0) throw new CliInputException("give either texts on the command line or --input FILE, not both");
            int? max = parse.GetValue(maxLength);
            if (max is < 2) throw new CliInputException($"--max-length {max} must be at least 2 ([CLS] and [SEP])");
            string vocabPath = parse.GetValue(vocab)!;
            if (!File.Exists(vocabPath)) throw new CliInputException($"vocabulary not found: {vocabPath}");
            var tokenizer = BertTokenizer.FromVocabFile(vocabPath, parse.GetValue(cased) ? BertTokenizerOptions.Cased : BertTokenizerOptions.Uncased);

            if (inputPath is not null)
            {
                foreach (var item in JsonLinesInput.Read(inputPath)) output.WriteLine(ToJson(tokenizer.Encode(item.Text, item.TextPair, max)));
                return 0;
            }
            var encoding = tokenizer.Encode(texts[0], texts.Length > 1 ? texts[1] : null, max);
            if (parse.GetValue(json)) { output.WriteLine(ToJson(encoding)); return 0; }
            output.WriteLine($"tokens ({encoding.Length}): {string.Join(' ', encoding.Tokens)}");
            output.WriteLine($"input_ids:      {string.Join(' ', encoding.InputIds)}");
            output.WriteLine($"token_type_ids: {string.Join(' ', encoding.TokenTypeIds)}");
            output.WriteLine($"attention_mask: {string.Join(' ', encoding.AttentionMask)}");
            return 0;
        });
        return command;
    }

    private static string ToJson(BertEncoding e) => JsonSerializer.Serialize(new
    {
        tokens = e.Tokens,
        input_ids = e.InputIds,
        token_type_ids = e.TokenTypeIds,
        attention_mask = e.AttentionMask,
    }, CliApp.Json);
}
