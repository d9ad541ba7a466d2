using DpBert.Tokenization;

namespace DpBert.Fuzz.Targets;

/// <summary>
/// <c>vocab.txt</c> through <see cref="BertTokenizer.FromVocabFile"/> (<see cref="WordPieceVocabulary.Load"/>, then the
/// special tokens), then the tokenizer used. Typed error: <see cref="InvalidDataException"/> naming the file.
/// </summary>
public sealed class VocabTarget : FuzzTarget
{
    public override string Name => "vocab-txt";

    public override string Description => "vocab.txt: BertTokenizer.FromVocabFile, then tokenize and encode";

    protected override string FileName => BertTokenizer.VocabFileName;

    protected override void Read(ReadOnlySpan<byte> input, string path) => TokenizerUse.Exercise(BertTokenizer.FromVocabFile(path));

    protected override bool IsTypedError(Exception error) => error is InvalidDataException;

    public override IEnumerable<FuzzSeed> Seeds()
    {
        // The golden vocabulary's head (special tokens, [unused], punctuation), and slices with word pieces, cased and not.
        string golden = Path.Combine(SeedFiles.TinyModelFolder, BertTokenizer.VocabFileName);
        yield return new("golden-head", SeedFiles.FirstLines(golden, 120));
        string[] lines = File.ReadAllLines(golden);
        yield return new("golden-pieces", System.Text.Encoding.UTF8.GetBytes(string.Join("\r\n",
            SeedFiles.SpecialTokens.Concat(lines.Where(l => l.StartsWith("##", StringComparison.Ordinal)).Take(60)).Concat(lines.Skip(2000).Take(60)).Distinct())));
        string cased = SeedFiles.Shared("vocab", "bert-base-cased", BertTokenizer.VocabFileName);
        string[] casedLines = File.ReadAllLines(cased);
        yield return new("cased-slice", System.Text.Encoding.UTF8.GetBytes(string.Join("\n",
            casedLines.Take(110).Concat(casedLines.Skip(8000).Take(80)).Concat(casedLines.Skip(28000).Take(40))) + "\n"));
    }
}
