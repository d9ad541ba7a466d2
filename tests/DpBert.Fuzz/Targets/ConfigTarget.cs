using System.Text;
using DpBert.Bert;

namespace DpBert.Fuzz.Targets;

/// <summary>
/// <c>config.json</c> through <see cref="BertConfig.Load"/>. An accepted configuration must also be one the loader can
/// go on with: written back (<see cref="BertConfig.ToJson"/>, as a fine-tuned model folder is saved) it parses again,
/// and its parameter table (<see cref="BertParameterLayout.SequenceClassification"/>, what
/// <c>ModelFolder.LoadSequenceClassifier</c> allocates next) fits the one flat array a <see cref="ParameterSet"/> holds.
/// Typed error: <see cref="InvalidDataException"/> naming the file.
/// </summary>
public sealed class ConfigTarget : FuzzTarget
{
    public override string Name => "config-json";

    public override string Description => "config.json: BertConfig.Load, written back and parsed again, parameter table sized";

    protected override string FileName => "config.json";

    protected override void Read(ReadOnlySpan<byte> input, string path)
    {
        var config = BertConfig.Load(path);
        BertConfig.Parse(config.ToJson(), path + " (written back)");
        _ = config.LabelName(config.NumLabels - 1);

        // The table is enumerated, not allocated: the sum must stay within one array and every tensor within an int count.
        long total = 0;
        foreach (var (name, shape) in BertParameterLayout.SequenceClassification(config))
        {
            long elements = shape.Aggregate(1L, (a, d) => a * d); // dimensions are positive ints: at most 2^62 for two
            if (shape.Any(d => d <= 0) || elements > int.MaxValue || (total += elements) > Array.MaxLength)
                throw new ReaderContractViolation($"{path}: accepted, but parameter {name} [{string.Join(", ", shape)}] " +
                    $"makes a model of {total} parameters or more, which no ParameterSet can hold");
        }
    }

    protected override bool IsTypedError(Exception error) => error is InvalidDataException;

    public override IEnumerable<FuzzSeed> Seeds()
    {
        yield return new("golden", File.ReadAllBytes(Path.Combine(SeedFiles.TinyModelFolder, "config.json")));
        // A regression head with labels named, values as strings (accepted, as transformers writes some), an unknown key.
        yield return new("regression-labels", Encoding.UTF8.GetBytes("""
            {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": "64", "vocab_size": 100,
             "max_position_embeddings": 16, "num_labels": 1, "id2label": {"0": "score"}, "label2id": {"score": 0},
             "classifier_dropout": 0.1, "layer_norm_eps": 1e-5, "type_vocab_size": 1, "gradient_checkpointing": false}
            """));
        yield return new("minimal", Encoding.UTF8.GetBytes("{\"id2label\": {\"0\": \"negative\", \"1\": \"positive\", \"2\": \"neutral\"}}"));
    }
}
