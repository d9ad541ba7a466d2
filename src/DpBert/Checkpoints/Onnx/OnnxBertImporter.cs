using System.Text.Json;
using DpBert.Bert;
using DpBert.Tokenization;
using Onnx;

namespace DpBert.Checkpoints.Onnx;

/// <summary>A <c>BertModel</c> read from an ONNX file: the configuration inferred from the graph and the weights under Hugging Face keys.</summary>
/// <param name="Config">Sizes, heads, epsilon and activation, as the graph has them.</param>
/// <param name="Parameters">Every <c>BertModel</c> weight (keys without <c>bert.</c>, Linear weights <c>[out, in]</c>), the pooler included.</param>
/// <param name="PoolerInGraph">False when the export had no pooler, which was then initialised as Hugging Face does.</param>
/// <param name="Notes">What the import did that a user may want to know.</param>
public sealed record OnnxBertImport(BertConfig Config, ParameterSet Parameters, bool PoolerInGraph, IReadOnlyList<string> Notes);

/// <summary>
/// Imports the weights of a <c>BertModel</c> exported from PyTorch to ONNX (<c>torch.onnx.export</c>, as
/// sentence-transformers models are shipped) into this project's model folder: <c>config.json</c> inferred from the
/// graph, <c>model.safetensors</c> under Hugging Face keys, <c>vocab.txt</c> and <c>tokenizer_config.json</c>. The file is
/// parsed with OnnxSharp's generated protobuf types. Named initializers map by name; anonymous Linear weights map
/// through the graph (see <see cref="OnnxBertWeightMap"/>); the configuration is read off the graph (see
/// <see cref="OnnxBertConfigInference"/>). A node or initializer the importer does not recognise is an error naming it.
/// </summary>
public static class OnnxBertImporter
{
    /// <summary>File written beside the model files: where the weights came from and what the import did.</summary>
    public const string ImportNotesFileName = "onnx_import.json";

    /// <summary>Version of the import, recorded in <see cref="ImportNotesFileName"/>; a cached import of another version is redone.</summary>
    public const int FormatVersion = 1;

    /// <summary>Seed of the pooler's initialisation when the graph has none.</summary>
    public const int PoolerSeed = 42;

    /// <summary>
    /// Operators of a PyTorch BERT export (the arithmetic of LayerNorm, GELU and attention, and shape plumbing), each with
    /// the fewest inputs the ONNX operator takes (Slice and ReduceMean before opsets 10 and 18 took attributes instead).
    /// </summary>
    private static readonly Dictionary<string, int> BertOperators = new(StringComparer.Ordinal)
    {
        ["Add"] = 2, ["Sub"] = 2, ["Mul"] = 2, ["Div"] = 2, ["Pow"] = 2, ["Sqrt"] = 1, ["Neg"] = 1, ["ReduceMean"] = 1, ["Erf"] = 1,
        ["Tanh"] = 1, ["Softmax"] = 1, ["MatMul"] = 2, ["Gemm"] = 2, ["LayerNormalization"] = 2, ["Gelu"] = 1,
        ["Reshape"] = 2, ["Transpose"] = 1, ["Shape"] = 1, ["Gather"] = 2, ["Concat"] = 1, ["Unsqueeze"] = 1, ["Squeeze"] = 1,
        ["Slice"] = 1, ["Cast"] = 1, ["Constant"] = 0, ["ConstantOfShape"] = 1, ["Equal"] = 2, ["Where"] = 3,
        ["Expand"] = 2, ["Range"] = 3, ["Identity"] = 1, ["Not"] = 1,
    };

    /// <summary>Reads and imports an ONNX file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not ONNX, or the graph is not a <c>BertModel</c> the importer recognises; the message names the node or initializer.</exception>
    public static OnnxBertImport Read(string onnxPath)
    {
        if (!File.Exists(onnxPath)) throw new FileNotFoundException($"{onnxPath}: ONNX file not found", onnxPath);
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(onnxPath);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{onnxPath}: not an ONNX model ({e.Message})", e);
        }
        return Read(model, onnxPath);
    }

    /// <summary>Imports a parsed ONNX model; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The graph is not a <c>BertModel</c> the importer recognises; the message names the node or initializer.</exception>
    public static OnnxBertImport Read(ModelProto model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = new OnnxGraphIndex(model.Graph ?? throw new InvalidDataException($"{source}: the model has no graph"), source);
        foreach (var node in model.Graph.Node)
        {
            if (node.Domain is not ("" or "ai.onnx") || !BertOperators.TryGetValue(node.OpType, out int inputs))
                throw graph.Error($"{OnnxGraphIndex.Describe(node)}{(node.Domain is "" or "ai.onnx" ? "" : $" of domain {node.Domain}")} is not an operation of a " +
                    "PyTorch BertModel export; the importer does not recognise it");
            // Found by the onnx-model fuzz campaign: a node with fewer inputs or outputs than its operator has was indexed past its end.
            if (node.Input.Count < inputs || node.Output.Count < 1)
                throw graph.Error($"{OnnxGraphIndex.Describe(node)} has {node.Input.Count} input{(node.Input.Count == 1 ? "" : "s")} and {node.Output.Count} " +
                    $"output{(node.Output.Count == 1 ? "" : "s")}; {node.OpType} takes at least {inputs} and gives at least one");
        }
        var (weights, skipped) = OnnxBertWeightMap.Build(graph);
        var config = OnnxBertConfigInference.Infer(graph, weights);
        bool hasPooler = weights.ContainsKey("pooler.dense.weight") || weights.ContainsKey("pooler.dense.bias");
        CheckAgainstLayout(graph, weights, config, hasPooler);

        foreach (var w in weights.Values) OnnxTensorData.CheckFloat32(w.Tensor, graph); // data for every shape before anything is allocated
        var parameters = new ParameterSet(BertParameterLayout.Encoder(config, prefix: "", withPooler: true));
        foreach (var w in weights.Values) Copy(graph, w, parameters.Span(w.Key));
        var notes = new List<string>
        {
            $"{config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads, intermediate {config.IntermediateSize}, " +
            $"vocabulary {config.VocabSize}, {config.MaxPositionEmbeddings} positions, {config.TypeVocabSize} token types, LayerNorm epsilon {config.LayerNormEps:G3}, exact GELU",
            $"{weights.Count} weights ({weights.Values.Count(w => w.Tensor.Name != w.Key)} found through the graph, {weights.Values.Count(w => w.Transposed)} transposed to [out, in])",
        };
        if (skipped.Count > 0) notes.Add($"not weights, skipped: {string.Join(", ", skipped)}");
        if (!hasPooler)
        {
            BertInitializer.Initialize(parameters, config, PoolerSeed, key => key.StartsWith("pooler.", StringComparison.Ordinal));
            notes.Add($"the graph has no pooler: pooler.dense initialised as Hugging Face does (normal(0, {config.InitializerRange}), zero bias; seed {PoolerSeed})");
        }
        parameters.MarkChanged();
        return new OnnxBertImport(config, parameters, hasPooler, notes);
    }

    /// <summary>
    /// Imports <paramref name="onnxPath"/> with the vocabulary <paramref name="vocabPath"/> into the model folder
    /// <paramref name="folder"/>, atomically (a failure leaves no half-written folder; an existing one is replaced whole).
    /// </summary>
    /// <param name="onnxPath">The exported <c>BertModel</c>.</param>
    /// <param name="vocabPath">Its WordPiece <c>vocab.txt</c>.</param>
    /// <param name="folder">The model folder to write.</param>
    /// <param name="origin">Where the files came from, recorded in <see cref="ImportNotesFileName"/> (default: their paths).</param>
    /// <param name="writeMore">Optional: writes further files into the folder (given with the import) before it is swapped in.</param>
    /// <returns>The import, as <see cref="Read(string)"/> gives it.</returns>
    public static OnnxBertImport ImportToFolder(string onnxPath, string vocabPath, string folder, string? origin = null, Action<string, OnnxBertImport>? writeMore = null)
    {
        var import = Read(onnxPath);
        var vocabulary = WordPieceVocabulary.Load(vocabPath);
        if (vocabulary.Count != import.Config.VocabSize)
            throw new InvalidDataException($"{vocabPath}: {vocabulary.Count} tokens, but the word embedding of {onnxPath} has {import.Config.VocabSize} rows");
        var tokenizer = new BertTokenizer(vocabulary, new BertTokenizerOptions { DoLowerCase = IsUncased(vocabulary) });
        var config = import.Config with
        {
            PadTokenId = vocabulary.TryGetId("[PAD]", out int pad) ? pad : 0,
            Extra = new Dictionary<string, JsonElement>
            {
                ["architectures"] = JsonSerializer.SerializeToElement(new[] { "BertModel" }),
                ["model_type"] = JsonSerializer.SerializeToElement("bert"),
            },
        };
        var imported = import with { Config = config };
        AtomicFolder.Write(folder, temp =>
        {
            ModelFolder.WriteFiles(temp, config, import.Parameters, tokenizer);
            var notes = new { importer_version = FormatVersion, source = origin ?? $"{Path.GetFullPath(onnxPath)} with {Path.GetFullPath(vocabPath)}", pooler_in_graph = import.PoolerInGraph, do_lower_case = tokenizer.Options.DoLowerCase, notes = import.Notes };
            File.WriteAllText(Path.Combine(temp, ImportNotesFileName), JsonSerializer.Serialize(notes, new JsonSerializerOptions { WriteIndented = true }));
            writeMore?.Invoke(temp, imported);
        });
        return imported;
    }

    /// <summary>
    /// An uncased vocabulary has no ASCII capital outside its bracketed special tokens (<c>[CLS]</c>, <c>[unused0]</c>); a cased
    /// one has thousands ("The", "A"). Other scripts do not decide it: bert-base-uncased keeps a few capitals such as "ℝ".
    /// </summary>
    private static bool IsUncased(WordPieceVocabulary vocabulary) =>
        !Enumerable.Range(0, vocabulary.Count).Select(vocabulary.GetToken)
            .Any(t => !(t.StartsWith('[') && t.EndsWith(']')) && t.Any(char.IsAsciiLetterUpper));

    /// <summary>Every expected key present with its shape, nothing extra; all problems in one message.</summary>
    private static void CheckAgainstLayout(OnnxGraphIndex graph, Dictionary<string, OnnxWeight> weights, BertConfig config, bool withPooler)
    {
        var problems = new List<string>();
        var expected = BertParameterLayout.Encoder(config, prefix: "", withPooler).ToDictionary(p => p.Name, p => p.Shape, StringComparer.Ordinal);
        foreach (var (key, shape) in expected)
        {
            if (!weights.TryGetValue(key, out var w)) { problems.Add($"no initializer holds {key} [{string.Join(", ", shape)}]"); continue; }
            if (!w.HfShape.SequenceEqual(shape.Select(d => (long)d)))
                problems.Add($"{w.Describe()} has shape {OnnxTensorData.Shape(w.Tensor)}{(w.Transposed ? " (stored [in, out])" : "")}, " +
                    $"but {key} of this model is [{string.Join(", ", shape)}]");
        }
        foreach (var w in weights.Values.Where(w => !expected.ContainsKey(w.Key)).OrderBy(w => w.Key, StringComparer.Ordinal))
            problems.Add($"{w.Describe()} is not a weight of a BertModel with {config.NumHiddenLayers} layers");
        if (problems.Count > 0)
            throw graph.Error($"the graph does not hold a complete BertModel ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):" +
                string.Concat(problems.Take(20).Select(p => "\n  " + p)) + (problems.Count > 20 ? $"\n  ... and {problems.Count - 20} more" : ""));
    }

    /// <summary>Copies a weight into its parameter, turning an <c>[in, out]</c> matrix into Hugging Face's <c>[out, in]</c>.</summary>
    private static void Copy(OnnxGraphIndex graph, OnnxWeight w, Span<float> target)
    {
        float[] values = OnnxTensorData.ReadFloat32(w.Tensor, graph);
        if (!w.Transposed) { values.CopyTo(target); return; }
        int rows = checked((int)w.Tensor.Dims[0]), cols = checked((int)w.Tensor.Dims[1]); // stored (in, out)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                target[c * rows + r] = values[r * cols + c];
    }
}
