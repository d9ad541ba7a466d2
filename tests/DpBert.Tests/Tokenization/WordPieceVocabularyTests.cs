using DpBert.Tokenization;

namespace DpBert.Tests.Tokenization;

public sealed class WordPieceVocabularyTests
{
    [Fact]
    public void Ids_are_line_indexes_and_lookups_go_both_ways()
    {
        var vocab = WordPieceVocabulary.FromTokens(["[PAD]", "hello", "##lo", "world"]);
        Assert.Equal(4, vocab.Count);
        Assert.Equal(1, vocab.GetId("hello"));
        Assert.True(vocab.TryGetId("world".AsSpan(), out int world));
        Assert.Equal(3, world);
        Assert.Equal("##lo", vocab.GetToken(2));
        Assert.False(vocab.TryGetId("lo", out _));
        Assert.False(vocab.TryGetToken(4, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocab.GetToken(-1));
        var missing = Assert.Throws<KeyNotFoundException>(() => vocab.GetId("nope"));
        Assert.Contains("\"nope\"", missing.Message);
    }

    [Fact]
    public void Duplicate_token_is_reported_with_file_and_both_line_numbers()
    {
        using var folder = new TempFolder();
        string path = folder.File("vocab.txt");
        File.WriteAllText(path, "[PAD]\nalpha\nbeta\nalpha\n");
        var error = Assert.Throws<InvalidDataException>(() => WordPieceVocabulary.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 4", error.Message);
        Assert.Contains("line 2", error.Message);
        Assert.Contains("\"alpha\"", error.Message);
    }

    [Fact]
    public void Empty_file_is_an_error_naming_the_file()
    {
        using var folder = new TempFolder();
        string path = folder.File("vocab.txt");
        File.WriteAllText(path, "");
        var error = Assert.Throws<InvalidDataException>(() => WordPieceVocabulary.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        using var folder = new TempFolder();
        string path = folder.File("vocab.txt");
        var error = Assert.Throws<FileNotFoundException>(() => WordPieceVocabulary.Load(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Invalid_utf8_is_an_error_naming_the_file()
    {
        using var folder = new TempFolder();
        string path = folder.File("vocab.txt");
        File.WriteAllBytes(path, [(byte)'a', (byte)'\n', 0xC3, 0x28, (byte)'\n']);
        var error = Assert.Throws<InvalidDataException>(() => WordPieceVocabulary.Load(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Line_ends_are_read_as_python_reads_them()
    {
        using var folder = new TempFolder();
        string path = folder.File("vocab.txt");
        File.WriteAllText(path, "a\r\nb\rc\nd");
        var vocab = WordPieceVocabulary.Load(path);
        Assert.Equal(["a", "b", "c", "d"], Enumerable.Range(0, vocab.Count).Select(vocab.GetToken));
    }

    [Fact]
    public void Special_token_ids_are_found_and_a_missing_one_is_named()
    {
        var vocab = WordPieceVocabulary.FromTokens(["[PAD]", "x", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], "my-vocab.txt");
        Assert.Equal(new SpecialTokenIds(Pad: 0, Unk: 2, Cls: 3, Sep: 4, Mask: 5), vocab.GetSpecialTokenIds());

        var noMask = WordPieceVocabulary.FromTokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]"], "my-vocab.txt");
        var error = Assert.Throws<InvalidDataException>(() => noMask.GetSpecialTokenIds());
        Assert.Contains("[MASK]", error.Message);
        Assert.Contains("my-vocab.txt", error.Message);
        Assert.Throws<InvalidDataException>(() => new BertTokenizer(noMask));
    }

    [Fact]
    public void Real_vocabularies_load_with_the_known_special_ids()
    {
        var uncased = WordPieceVocabulary.Load(Path.Combine(GoldenFiles.SharedFolder, "vocab", "bert-base-uncased", "vocab.txt"));
        Assert.Equal(30522, uncased.Count);
        Assert.Equal(new SpecialTokenIds(Pad: 0, Unk: 100, Cls: 101, Sep: 102, Mask: 103), uncased.GetSpecialTokenIds());
        Assert.Equal("##s", uncased.GetToken(2015));
    }
}
