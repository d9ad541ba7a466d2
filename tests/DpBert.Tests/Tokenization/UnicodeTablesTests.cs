using DpBert.Tokenization;

namespace DpBert.Tests.Tokenization;

/// <summary>Spot checks of the Unicode 14 tables, NFC/NFD and Python lower-casing against known answers.</summary>
public sealed class UnicodeTablesTests
{
    [Theory]
    [InlineData("e\u0301", "\u00e9")]                        // compose
    [InlineData("\u1100\u1161\u11a8", "\uac01")]             // Hangul L V T
    [InlineData("\u212b", "\u00c5")]                         // singleton (Angstrom sign)
    [InlineData("\u0958", "\u0915\u093c")]                   // composition exclusion
    [InlineData("a\u0307\u0323", "\u1ea1\u0307")]            // reorder below-dot first, then compose
    [InlineData("\uf900", "\u8c48")]                         // CJK compatibility ideograph
    [InlineData("\U0001d15e", "\U0001d157\U0001d165")]       // excluded astral
    [InlineData("e\u0301\u0301", "\u00e9\u0301")]            // second acute blocked
    public void Nfc_matches_python(string input, string expected) =>
        Assert.Equal(Hex(expected), Hex(CanonicalNormalizer.Normalize(input, compose: true)));

    [Theory]
    [InlineData("\u00e9", "e\u0301")]
    [InlineData("\uac01", "\u1100\u1161\u11a8")]
    [InlineData("\u1f82", "\u03b1\u0313\u0300\u0345")]       // 1 -> 4
    [InlineData("q\u0307\u0323", "q\u0323\u0307")]
    public void Nfd_matches_python(string input, string expected) =>
        Assert.Equal(Hex(expected), Hex(CanonicalNormalizer.Normalize(input, compose: false)));

    [Theory]
    [InlineData("\u0130", "i\u0307")]
    [InlineData("\u03a3", "\u03c3")]
    [InlineData("\u039f\u03a3", "\u03bf\u03c2")]
    [InlineData("\u039f\u03a3\u0391", "\u03bf\u03c3\u03b1")]
    [InlineData("\u039f\u03a3.", "\u03bf\u03c2.")]
    [InlineData("\u039f\u03a3.\u0391", "\u03bf\u03c3.\u03b1")]
    [InlineData(".\u03a3", ".\u03c3")]
    [InlineData("\u0410\U00010400", "\u0430\U00010428")]
    public void Lower_matches_python_str_lower(string input, string expected)
    {
        var output = new char[input.Length * 2];
        Assert.Equal(Hex(expected), Hex(new string(output, 0, PythonLowerCase.Lower(input, output))));
    }

    [Theory]
    [InlineData(0x0041, (int)CharacterFlags.Other)]
    [InlineData(0x00B0, (int)CharacterFlags.Other)]            // degree sign: a symbol, not punctuation
    [InlineData(0x00BF, (int)CharacterFlags.Punctuation)]
    [InlineData(0x0024, (int)CharacterFlags.Punctuation)]      // '$' is Sc but in BERT's ASCII ranges
    [InlineData(0x00A0, (int)CharacterFlags.Separator)]
    [InlineData(0x2029, (int)CharacterFlags.Separator)]
    [InlineData(0x200B, (int)CharacterFlags.Removed)]
    [InlineData(0xFFFD, (int)CharacterFlags.Removed)]
    [InlineData(0xE0041, (int)CharacterFlags.Removed)]
    [InlineData(0x10D50, (int)CharacterFlags.Removed)]         // assigned in Unicode 16 only: unassigned for Python 3.11
    [InlineData(0x1F600, (int)CharacterFlags.Other)]
    [InlineData(0x0301, (int)CharacterFlags.NonSpacingMark)]
    [InlineData(0x1171E, (int)CharacterFlags.NonSpacingMark)]  // Mc in Unicode 16, Mn in 14
    [InlineData(0xD800, (int)CharacterFlags.Removed)]
    public void Character_classes_are_python_311s(int codePoint, int expectedClass) =>
        Assert.Equal((CharacterFlags)expectedClass, CharacterProperties.GetClass(codePoint));

    [Fact]
    public void Cjk_flag_covers_bert_ranges_only()
    {
        Assert.True(CharacterProperties.Get(0x4E2D).HasFlag(CharacterFlags.CjkIdeograph));
        Assert.True(CharacterProperties.Get(0x2000B).HasFlag(CharacterFlags.CjkIdeograph));
        Assert.False(CharacterProperties.Get(0x3042).HasFlag(CharacterFlags.CjkIdeograph));   // hiragana
        Assert.False(CharacterProperties.Get(0xAC00).HasFlag(CharacterFlags.CjkIdeograph));   // hangul
    }

    private static string Hex(string s) => string.Join(" ", s.EnumerateRunes().Select(r => r.Value.ToString("X4")));
}
