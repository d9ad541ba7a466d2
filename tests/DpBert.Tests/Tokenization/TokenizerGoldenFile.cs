using System.Text.Json;
using System.Text.Json.Serialization;

namespace DpBert.Tests.Tokenization;

/// <summary>A <c>shared/golden/tokenizer/*.json</c> file (format bert-oracle-tokenizer/1).</summary>
internal sealed record TokenizerGoldenFile(
    string Format,
    string Name,
    TokenizerGoldenFile.Settings Tokenizer,
    IReadOnlyList<TokenizerGoldenFile.Case> Cases,
    IReadOnlyList<TokenizerGoldenFile.Pair> Pairs)
{
    internal sealed record Settings(
        string VocabFile,
        string VocabSha256,
        int VocabSize,
        bool DoLowerCase,
        bool? StripAccents,
        bool TokenizeChineseChars,
        int MaxInputCharsPerWord,
        int ClsTokenId,
        int SepTokenId,
        int PadTokenId,
        int UnkTokenId,
        int MaskTokenId,
        int SingleTruncationMaxLength);

    internal sealed record Case(
        string Id,
        string Category,
        string Text,
        IReadOnlyList<string> BasicTokens,
        IReadOnlyList<string> Tokens,
        IReadOnlyList<int> Ids,
        IReadOnlyList<int> InputIds,
        IReadOnlyList<int> TokenTypeIds,
        IReadOnlyList<int> AttentionMask,
        IReadOnlyList<int> InputIdsTruncated,
        string Decoded);

    internal sealed record Pair(
        string Id,
        string A,
        string B,
        int MaxLength,
        string Truncation,
        IReadOnlyList<int> InputIds,
        IReadOnlyList<int> TokenTypeIds,
        IReadOnlyList<int> AttentionMask,
        IReadOnlyList<string> Tokens);

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>Path of the vocabulary the file was made with.</summary>
    public string VocabPath => Path.Combine(GoldenFiles.SharedFolder, "vocab", Tokenizer.VocabFile);

    public static TokenizerGoldenFile Load(string fileName)
    {
        string path = Path.Combine(GoldenFiles.SharedFolder, "golden", "tokenizer", fileName);
        var golden = JsonSerializer.Deserialize<TokenizerGoldenFile>(File.ReadAllText(path), s_json)
            ?? throw new InvalidDataException($"{path}: null");
        Assert.Equal("bert-oracle-tokenizer/1", golden.Format);
        return golden;
    }
}
