using System.Text.Json;
using DpBert.Cli;

namespace DpBert.Fuzz.Targets;

/// <summary>
/// The JSON Lines input of <c>dpbert predict --input</c> and <c>dpbert tokenize --input</c> through
/// <see cref="JsonLinesInput.Read"/>. Typed error: <see cref="CliInputException"/> naming the file (and the line).
/// </summary>
public sealed class JsonLinesTarget : FuzzTarget
{
    public override string Name => "jsonl-input";

    public override string Description => "JSON Lines input of predict/tokenize --input: JsonLinesInput.Read";

    protected override string FileName => "inputs.jsonl";

    protected override void Read(ReadOnlySpan<byte> input, string path) => JsonLinesInput.Read(path);

    protected override bool IsTypedError(Exception error) => error is CliInputException;

    public override IEnumerable<FuzzSeed> Seeds()
    {
        // GLUE rows as a user would feed them: SST-2 sentences alone, MRPC sentence pairs, with a blank line between.
        var sst2 = File.ReadLines(SeedFiles.Shared("glue", "SST-2", "dev.tsv")).Skip(1).Take(4).Select(l => l.Split('\t')[0]);
        var mrpc = File.ReadLines(SeedFiles.Shared("glue", "MRPC", "dev.tsv")).Skip(1).Take(3).Select(l => l.Split('\t'));
        yield return new("sst2-texts", Lines(sst2.Select(t => JsonSerializer.Serialize(new { text = t }))));
        yield return new("mrpc-pairs", Lines(mrpc.Select(f => JsonSerializer.Serialize(new { text = f[3], text_pair = f[4] }))
            .Append("").Append(JsonSerializer.Serialize(new { text = "no pair", text_pair = (string?)null }))));
    }

    private static byte[] Lines(IEnumerable<string> lines) => System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
}
