using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace DpBert.Tokenization;

/// <summary>
/// A WordPiece vocabulary as in BERT's <c>vocab.txt</c>: one token per line, the id is the line index
/// (from 0). Continuation pieces carry a <c>##</c> prefix. Lookups take spans and do not allocate
/// (an open-addressing table over one block of chars rather than a <see cref="Dictionary{TKey, TValue}"/>:
/// WordPiece probes it several times per word).
/// </summary>
public sealed class WordPieceVocabulary
{
    private const string ContinuationPrefix = "##";

    private readonly string[] _tokens;                 // id -> token
    private readonly TokenIdTable _ids;                // token -> id
    private readonly TokenIdTable _continuationIds;    // "##x" -> id, keyed by "x"

    private WordPieceVocabulary(string[] tokens, string source)
    {
        _tokens = tokens;
        var whole = new List<(string, int)>(tokens.Length);
        var continuation = new List<(string, int)>();
        for (int id = 0; id < tokens.Length; id++)
        {
            string token = tokens[id];
            whole.Add((token, id));
            MaxTokenLength = Math.Max(MaxTokenLength, token.Length);
            if (token.StartsWith(ContinuationPrefix, StringComparison.Ordinal))
            {
                continuation.Add((token[ContinuationPrefix.Length..], id));
                MaxContinuationLength = Math.Max(MaxContinuationLength, token.Length - ContinuationPrefix.Length);
            }
        }
        _ids = new TokenIdTable(whole);
        _continuationIds = new TokenIdTable(continuation);
        Source = source;
    }

    /// <summary>Where the tokens came from (a file path), used in error messages.</summary>
    public string Source { get; }

    /// <summary>Number of tokens (ids are 0 ... Count-1).</summary>
    public int Count => _tokens.Length;

    /// <summary>Longest token, in UTF-16 chars (longer word pieces are never looked up).</summary>
    internal int MaxTokenLength { get; }

    /// <summary>Longest continuation piece without its <c>##</c>, in UTF-16 chars.</summary>
    internal int MaxContinuationLength { get; }

    /// <summary>Reads a <c>vocab.txt</c> (UTF-8; lines end in \n, \r\n or \r, as Python reads them).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not UTF-8, or repeats a token; the message names the file and line.</exception>
    public static WordPieceVocabulary Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: vocabulary file not found", path);
        var lines = new List<string>();
        try
        {
            using var reader = new StreamReader(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
            while (reader.ReadLine() is { } line) lines.Add(line);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: not valid UTF-8 (line {lines.Count + 1}): {e.Message}", e);
        }
        return FromTokens(lines, path);
    }

    /// <summary>Builds a vocabulary from tokens in id order; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">There are no tokens, or a token repeats (the message gives both lines).</exception>
    public static WordPieceVocabulary FromTokens(IEnumerable<string> tokens, string source = "(in-memory vocabulary)")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var array = tokens.ToArray();
        if (array.Length == 0) throw new InvalidDataException($"{source}: the vocabulary is empty (one token per line expected)");
        var ids = new Dictionary<string, int>(array.Length, StringComparer.Ordinal);   // only to find duplicates
        for (int id = 0; id < array.Length; id++)
        {
            string token = array[id] ?? throw new ArgumentException($"{source}: token {id} is null", nameof(tokens));
            if (!ids.TryAdd(token, id))
            {
                throw new InvalidDataException(
                    $"{source}: line {id + 1}: duplicate token \"{token}\" (first on line {ids[token] + 1}); every token must be unique");
            }
        }
        return new WordPieceVocabulary(array, source);
    }

    /// <summary>The token with id <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such id.</exception>
    public string GetToken(int id)
    {
        if ((uint)id >= (uint)_tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"{Source}: token id must be in [0, {_tokens.Length})");
        return _tokens[id];
    }

    /// <summary>The token with id <paramref name="id"/>, if there is one.</summary>
    public bool TryGetToken(int id, [NotNullWhen(true)] out string? token)
    {
        token = (uint)id < (uint)_tokens.Length ? _tokens[id] : null;
        return token is not null;
    }

    /// <summary>The id of <paramref name="token"/>.</summary>
    /// <exception cref="KeyNotFoundException">The token is not in the vocabulary.</exception>
    public int GetId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _ids.TryGetId(token, out int id) ? id
            : throw new KeyNotFoundException($"{Source}: token \"{token}\" is not in the vocabulary");
    }

    /// <summary>Looks up a token (continuation pieces with their <c>##</c>).</summary>
    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _ids.TryGetId(token, out id);

    /// <summary>Whether the vocabulary has <paramref name="token"/>.</summary>
    public bool Contains(ReadOnlySpan<char> token) => _ids.TryGetId(token, out _);

    /// <summary>Every token, keyed by its text.</summary>
    internal TokenIdTable Ids => _ids;

    /// <summary>Continuation pieces, keyed by their text without <c>##</c>.</summary>
    internal TokenIdTable ContinuationIds => _continuationIds;

    /// <summary>The ids of [PAD], [UNK], [CLS], [SEP] and [MASK].</summary>
    /// <exception cref="InvalidDataException">One is missing; the message names it and the file.</exception>
    public SpecialTokenIds GetSpecialTokenIds()
    {
        int Require(string token) => _ids.TryGetId(token, out int id) ? id
            : throw new InvalidDataException($"{Source}: special token {token} is not in the vocabulary");
        return new SpecialTokenIds(Require("[PAD]"), Require("[UNK]"), Require("[CLS]"), Require("[SEP]"), Require("[MASK]"));
    }
}
