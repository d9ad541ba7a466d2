using System.Text;
using DpBert.Tokenization;

namespace DpBert.Fuzz.Targets;

/// <summary>
/// <c>tokenizer_config.json</c> in a model folder: <see cref="BertTokenizer.FromFolder"/> reads it beside a fixed
/// <c>vocab.txt</c> (<see cref="BertTokenizerOptions.Load"/>), then the tokenizer is used. Typed errors:
/// <see cref="InvalidDataException"/> and <see cref="NotSupportedException"/> (a setting this tokenizer does not
/// implement), naming the file.
/// </summary>
public sealed class TokenizerConfigTarget : FuzzTarget
{
    // A small uncased vocabulary with the five special tokens and the pieces of the sample text.
    private static readonly byte[] Vocabulary = Encoding.UTF8.GetBytes(string.Join("\n",
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "un", "##aff", "##able", "a", "b", "c", "d",
        "cafe", "naive", "unicode", "second", "sentence", "padded", ",", ".", "!", "你", "好", "Hello", "##é") + "\n");

    public override string Name => "tokenizer-config";

    public override string Description => "tokenizer_config.json: BertTokenizer.FromFolder beside a fixed vocab.txt, then tokenize and encode";

    protected override string FileName => BertTokenizerOptions.ConfigFileName;

    protected override void Read(ReadOnlySpan<byte> input, string path)
    {
        string folder = Path.GetDirectoryName(path)!, vocab = Path.Combine(folder, BertTokenizer.VocabFileName);
        if (!File.Exists(vocab)) File.WriteAllBytes(vocab, Vocabulary);
        TokenizerUse.Exercise(BertTokenizer.FromFolder(folder));
    }

    protected override bool IsTypedError(Exception error) => error is InvalidDataException or NotSupportedException;

    public override IEnumerable<FuzzSeed> Seeds()
    {
        yield return new("golden", File.ReadAllBytes(Path.Combine(SeedFiles.TinyModelFolder, BertTokenizerOptions.ConfigFileName)));
        // Newer transformers: special tokens as AddedToken objects, no length limit written as int(1e30); a cased model.
        yield return new("added-token-objects", Encoding.UTF8.GetBytes("""
            {"added_tokens_decoder": {}, "do_lower_case": false, "strip_accents": false, "tokenize_chinese_chars": false,
             "model_max_length": 1000000000000000019884624838656, "max_input_chars_per_word": 100, "never_split": [],
             "unk_token": {"content": "[UNK]", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "__type": "AddedToken"},
             "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "mask_token": "[MASK]", "tokenizer_class": "BertTokenizer",}
            """));
        yield return new("minimal", Encoding.UTF8.GetBytes("{\"do_lower_case\": true, \"strip_accents\": null}"));
    }
}
