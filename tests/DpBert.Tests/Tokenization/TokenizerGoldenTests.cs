using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DpBert.Tokenization;

namespace DpBert.Tests.Tokenization;

/// <summary>
/// Parity with Hugging Face's slow BertTokenizer (transformers 4.31) on every case and pair of the
/// tokenizer goldens. Each test checks a whole file and reports every mismatch, both sides dumped.
/// </summary>
public sealed class TokenizerGoldenTests
{
    public static TheoryData<string> Files => new() { "tricky-uncased.json", "tricky-cased.json", "kjv-uncased.json", "kjv-cased.json" };

    [Theory]
    [MemberData(nameof(Files))]
    public void Cases_match_hugging_face(string file)
    {
        var golden = TokenizerGoldenFile.Load(file);
        var tokenizer = CreateTokenizer(golden);
        var basic = new BasicTokenizer(golden.Tokenizer.DoLowerCase, golden.Tokenizer.StripAccents,
            golden.Tokenizer.TokenizeChineseChars, SpecialTokenIds.Tokens);
        int maxLength = golden.Tokenizer.SingleTruncationMaxLength;
        var report = new MismatchReport(file);

        foreach (var c in golden.Cases)
        {
            var encoding = tokenizer.Encode(c.Text);
            var truncated = tokenizer.Encode(c.Text, maxLength: maxLength);
            var spanIds = new int[c.InputIds.Count + 8];
            var spanTruncated = new int[maxLength];
            string label = $"case {c.Id} ({c.Category}) text={Escape(c.Text)}";

            report.Check(label, "basic_tokens", c.BasicTokens, basic.Tokenize(c.Text));
            report.Check(label, "tokens", c.Tokens, tokenizer.Tokenize(c.Text));
            report.Check(label, "ids", c.Ids, tokenizer.TokenizeToIds(c.Text));
            report.Check(label, "input_ids", c.InputIds, encoding.InputIds);
            report.Check(label, "token_type_ids", c.TokenTypeIds, encoding.TokenTypeIds);
            report.Check(label, "attention_mask", c.AttentionMask, encoding.AttentionMask);
            report.Check(label, "input_ids_truncated", c.InputIdsTruncated, truncated.InputIds);
            report.Check(label, "input_ids (EncodeToIds span)", c.InputIds, spanIds[..tokenizer.EncodeToIds(c.Text, spanIds)]);
            report.Check(label, "input_ids_truncated (EncodeToIds span)", c.InputIdsTruncated,
                spanTruncated[..tokenizer.EncodeToIds(c.Text, spanTruncated)]);
            report.Check(label, "decoded", [c.Decoded], [tokenizer.Decode(encoding.InputIds, skipSpecialTokens: true)]);
        }
        report.AssertNone(golden.Cases.Count, "cases");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Pairs_match_hugging_face(string file)
    {
        var golden = TokenizerGoldenFile.Load(file);
        var tokenizer = CreateTokenizer(golden);
        var report = new MismatchReport(file);

        foreach (var p in golden.Pairs)
        {
            Assert.Equal("longest_first", p.Truncation);
            var encoding = tokenizer.Encode(p.A, p.B, p.MaxLength);
            string label = $"pair {p.Id} max_length={p.MaxLength} a={Escape(p.A)} b={Escape(p.B)}";
            report.Check(label, "input_ids", p.InputIds, encoding.InputIds);
            report.Check(label, "token_type_ids", p.TokenTypeIds, encoding.TokenTypeIds);
            report.Check(label, "attention_mask", p.AttentionMask, encoding.AttentionMask);
            report.Check(label, "tokens", p.Tokens, encoding.Tokens);
        }
        report.AssertNone(golden.Pairs.Count, "pairs");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Vocabulary_and_special_ids_are_the_ones_the_goldens_used(string file)
    {
        var golden = TokenizerGoldenFile.Load(file);
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(golden.VocabPath)));
        Assert.Equal(golden.Tokenizer.VocabSha256, sha);
        var tokenizer = CreateTokenizer(golden);
        Assert.Equal(golden.Tokenizer.VocabSize, tokenizer.Vocabulary.Count);
        var s = golden.Tokenizer;
        Assert.Equal(new SpecialTokenIds(s.PadTokenId, s.UnkTokenId, s.ClsTokenId, s.SepTokenId, s.MaskTokenId), tokenizer.SpecialTokens);
    }

    private static BertTokenizer CreateTokenizer(TokenizerGoldenFile golden) =>
        BertTokenizer.FromVocabFile(golden.VocabPath, new BertTokenizerOptions
        {
            DoLowerCase = golden.Tokenizer.DoLowerCase,
            StripAccents = golden.Tokenizer.StripAccents,
            TokenizeChineseChars = golden.Tokenizer.TokenizeChineseChars,
            MaxInputCharsPerWord = golden.Tokenizer.MaxInputCharsPerWord,
        });

    /// <summary>Printable ASCII as is, everything else as \uXXXX (UTF-16 units), in quotes.</summary>
    internal static string Escape(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in text)
        {
            if (c is >= ' ' and <= '~' && c is not '"' and not '\\') sb.Append(c);
            else sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
        }
        return sb.Append('"').ToString();
    }

    private static string Render<T>(IEnumerable<T> values) =>
        "[" + string.Join(", ", values.Select(v => v is string s ? Escape(s) : Convert.ToString(v, CultureInfo.InvariantCulture))) + "]";

    private sealed class MismatchReport(string file)
    {
        private readonly List<string> _mismatches = [];

        public void Check<T>(string label, string field, IEnumerable<T> expected, IEnumerable<T> actual)
        {
            if (expected.SequenceEqual(actual)) return;
            _mismatches.Add($"{label}\n    {field}:\n      expected {Render(expected)}\n      actual   {Render(actual)}");
        }

        public void AssertNone(int total, string what)
        {
            Assert.True(_mismatches.Count == 0,
                $"{file}: {_mismatches.Count} mismatches over {total} {what}:\n" + string.Join("\n", _mismatches));
        }
    }
}
