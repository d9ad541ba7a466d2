using System.Runtime.CompilerServices;
using System.Text;

namespace DpBert.Tokenization;

/// <summary>
/// Lower-casing as Python's <c>str.lower()</c> does it: the full mapping, which differs from .NET's simple
/// mapping only for U+0130 (İ becomes "i" + U+0307) and for capital sigma, which becomes final sigma (ς)
/// at the end of a word (the Final_Sigma condition of Unicode SpecialCasing).
/// </summary>
internal static class PythonLowerCase
{
    private const int CapitalSigma = 0x3A3, SmallSigma = 0x3C3, FinalSigma = 0x3C2;

    /// <summary>Lower-cases one code point, without context (as <c>ch.lower()</c>); writes 1 or 2 chars.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LowerCodePoint(int codePoint, Span<char> destination)
    {
        if (codePoint < 0x80)
        {
            destination[0] = (char)((uint)(codePoint - 'A') <= 'Z' - 'A' ? codePoint | 0x20 : codePoint);
            return 1;
        }
        if (codePoint == 0x130)
        {
            destination[0] = 'i';
            destination[1] = '\u0307';
            return 2;
        }
        return CharacterProperties.WriteCodePoint(Rune.ToLowerInvariant(new Rune(codePoint)).Value, destination);
    }

    /// <summary>
    /// Lower-cases <paramref name="text"/> as one Python string (final sigma decided inside it). The
    /// destination needs twice the source length. Returns the chars written.
    /// </summary>
    public static int Lower(ReadOnlySpan<char> text, Span<char> destination)
    {
        int written = 0;
        for (int i = 0; i < text.Length;)
        {
            int cp = CharacterProperties.ReadCodePoint(text, i, out int length);
            if (cp == CapitalSigma)
            {
                destination[written++] = (char)(IsFinalSigma(text, i) ? FinalSigma : SmallSigma);
            }
            else if (char.IsSurrogate(text[i]) && length == 1)
            {
                destination[written++] = text[i];   // a lone surrogate has no case
            }
            else
            {
                written += LowerCodePoint(cp, destination[written..]);
            }
            i += length;
        }
        return written;
    }

    /// <summary>Final_Sigma: a cased letter before (skipping case-ignorables) and none after.</summary>
    private static bool IsFinalSigma(ReadOnlySpan<char> text, int sigmaIndex)
    {
        int j = sigmaIndex;
        CharacterFlags before = 0;
        while (j > 0)
        {
            j -= j >= 2 && char.IsLowSurrogate(text[j - 1]) && char.IsHighSurrogate(text[j - 2]) ? 2 : 1;
            before = CharacterProperties.Get(CharacterProperties.ReadCodePoint(text, j, out _));
            if ((before & CharacterFlags.CaseIgnorable) == 0) break;
            before = 0;
        }
        if ((before & CharacterFlags.Cased) == 0) return false;

        for (int k = sigmaIndex + 1; k < text.Length;)
        {
            var after = CharacterProperties.Get(CharacterProperties.ReadCodePoint(text, k, out int length));
            if ((after & CharacterFlags.CaseIgnorable) == 0) return (after & CharacterFlags.Cased) == 0;
            k += length;
        }
        return true;
    }
}
