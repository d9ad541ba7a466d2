using System.Globalization;
using DpBert.Bert;
using DpBert.EarlyExit;
using DpBert.Methods;
using DpBert.Planning;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace DpBert.OnnxExport;

/// <summary>
/// Exports BERT classifiers to self-contained ONNX models (weights inside the file) that ONNX Runtime's CPU provider runs
/// with standard <c>ai.onnx</c> operators only. Inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>
/// (int64, (batch, sequence), both axes dynamic); output <c>logits</c> (batch, num_labels).
/// <para>
/// The DPBERT graph runs the embeddings and the always-run layers on every row, then the planner, then each planned layer
/// only on the rows whose plan selects it (<c>NonZero</c> → <c>GatherND</c> → layer → <c>ScatterND</c>), then the head (with
/// the planner's depth heads, each row's head is the one of its plan's length).
/// It has a fourth input, <c>theta</c> (float scalar, defaulting to the exported value), and two more outputs:
/// <c>plan</c> (batch, L) booleans, true where the layer ran, and <c>layer_probabilities</c> (batch, L - k).
/// </para>
/// <para>
/// The early-exit graphs (DeeBERT, PABEE) run the layers one at a time on the rows still active, each row leaving at its exit;
/// their knob (<c>entropy</c> or <c>patience</c>) is an input with a default, and <c>plan</c> says which layers each row ran.
/// </para>
/// <para>
/// Every reader of the hidden states (the model's pooler, the planner, the exit heads) takes what it was trained on: the
/// [CLS] row, or the mean of the real tokens (<c>ReduceSum</c> of the rows the attention mask keeps, times the reciprocal
/// of their count), computed on the rows it runs for.
/// </para>
/// Weights are read through the stable surfaces only: the configuration, the <see cref="ParameterSet"/> under Hugging
/// Face keys, and the planner's <c>planner.*</c> parameters, always-run layer count and input.
/// </summary>
public static class BertOnnxExporter
{
    /// <summary>Builds the full-depth <c>BertForSequenceClassification</c> graph.</summary>
    /// <exception cref="NotSupportedException">The configuration uses something the exporter does not write; the message names it.</exception>
    public static ModelProto BuildFull(BertForSequenceClassification model, OnnxExportOptions? options = null)
    {
        options ??= new OnnxExportOptions();
        options.Validate();
        CheckExportable(model);
        var g = new OnnxGraphBuilder("bert_for_sequence_classification");
        var (inputIds, attentionMask, tokenTypeIds) = Inputs(g);
        var (config, p) = (model.Config, model.Parameters);
        string mask = AttentionMaskGraph.Add(g, attentionMask);
        var realTokens = new RealTokensGraph(g, attentionMask);
        string hidden = EmbeddingsGraph.Add(g, p, config, inputIds, tokenTypeIds);
        for (int l = 0; l < config.NumHiddenLayers; l++) hidden = LayerGraph.Add(g, hidden, mask, p, config, l);
        g.Output(HeadGraph.Add(g, hidden, config.PoolerInput, realTokens.Mask, p), "logits", DataType.Float, "batch", config.NumLabels);
        return Model(g, options, config, new() { ["method"] = "full" });
    }

    /// <summary>
    /// Builds the DPBERT graph of <paramref name="backbone"/> (the jointly trained backbone of a DPBERT folder) and
    /// <paramref name="planner"/>: planned layers run only for the rows whose plan selects them.
    /// </summary>
    /// <exception cref="ArgumentException">The planner does not match the backbone; the message says how.</exception>
    /// <exception cref="NotSupportedException">The configuration uses something the exporter does not write.</exception>
    public static ModelProto BuildDpBert(BertForSequenceClassification backbone, PlanningModule planner, OnnxExportOptions? options = null)
    {
        options ??= new OnnxExportOptions();
        options.Validate();
        CheckExportable(backbone);
        CheckPlannerMatches(backbone.Config, planner);
        var g = new OnnxGraphBuilder("dpbert_for_sequence_classification");
        var (inputIds, attentionMask, tokenTypeIds) = Inputs(g);
        var (config, p) = (backbone.Config, backbone.Parameters);
        int k = planner.AlwaysRunLayers, layers = config.NumHiddenLayers;
        float defaultTheta = options.Theta ?? (float)DpBertMethod.Instance.DefaultKnob(config);
        string theta = g.Initializer("theta", [defaultTheta]);
        g.Input(theta, DataType.Float);

        string mask = AttentionMaskGraph.Add(g, attentionMask);
        var realTokens = new RealTokensGraph(g, attentionMask);
        string hidden = EmbeddingsGraph.Add(g, p, config, inputIds, tokenTypeIds);
        for (int l = 0; l < k; l++) hidden = LayerGraph.Add(g, hidden, mask, p, config, l);
        var (runs, probabilities) = PlannerGraph.Add(g, hidden, planner.Input, realTokens.Mask, planner.Parameters, theta);
        for (int l = k; l < layers; l++)
        {
            int layer = l;
            string selected = PlannerGraph.Column(g, runs, l - k, l);
            hidden = RowSubsetGraph.Add(g, $"/encoder/layer.{l}/rows", hidden, mask, selected, (x, m) => LayerGraph.Add(g, x, m, p, config, layer)).Hidden;
        }
        string logits = planner.DepthHeads is { } heads
            ? DepthHeadsGraph.Add(g, HeadGraph.Pooled(g, "/pooler", hidden, config.PoolerInput, realTokens.Mask, p, "bert.pooler.dense"), runs, heads, planner.Parameters)
            : HeadGraph.Add(g, hidden, config.PoolerInput, realTokens.Mask, p);
        g.Output(logits, "logits", DataType.Float, "batch", config.NumLabels);
        g.Output(PlannerGraph.FullPlan(g, runs, inputIds, k), "plan", DataType.Bool, "batch", layers);
        g.Output(probabilities, "layer_probabilities", DataType.Float, "batch", layers - k);
        return Model(g, options, config, new()
        {
            ["method"] = "dpbert",
            ["always_run_layers"] = k.ToString(CultureInfo.InvariantCulture),
            ["theta"] = defaultTheta.ToString("R", CultureInfo.InvariantCulture),
        });
    }

    /// <summary>
    /// Builds the early-exit graph of <paramref name="classifier"/> (an early-exit folder's backbone and heads, each head
    /// reading what it was trained on): see <see cref="BuildEarlyExit(BertForSequenceClassification, EarlyExitMethod, ParameterSet, TokenPooling, OnnxExportOptions?)"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">DeeBERT on a regression model, a PABEE regression tolerance other than the
    /// graph's 0.1, or a configuration the exporter does not write.</exception>
    public static ModelProto BuildEarlyExit(EarlyExitClassifier classifier, OnnxExportOptions? options = null)
    {
        if (classifier.Model.IsRegression && Math.Abs(classifier.RegressionTolerance - EarlyExitGraph.RegressionTolerance) > 1e-9)
            throw new NotSupportedException($"the classifier's regression tolerance is {classifier.RegressionTolerance}; the exported PABEE graph compares predictions with {EarlyExitGraph.RegressionTolerance}");
        return BuildEarlyExit(classifier.Model, classifier.Heads.Method, classifier.Heads.Parameters, classifier.Heads.Input, options);
    }

    /// <summary>
    /// Builds the early-exit graph of <paramref name="backbone"/> with the exit heads <paramref name="exitHeads"/> (the
    /// <c>exits.*</c> parameters of an early-exit folder) reading <paramref name="headInput"/> (DeeBERT's last exit, the
    /// model's own head, reads what its pooler reads): layers run one at a time on the rows still active and each row
    /// leaves at its exit. Inputs as the full graph plus <c>entropy</c> (DeeBERT, float) or <c>patience</c> (PABEE, int64),
    /// scalars with the exported defaults; outputs <c>logits</c> and <c>plan</c> (batch, L).
    /// </summary>
    /// <exception cref="ArgumentException">The heads do not match the backbone; the message names the key.</exception>
    /// <exception cref="NotSupportedException">DeeBERT on a regression model, or a configuration the exporter does not write.</exception>
    public static ModelProto BuildEarlyExit(BertForSequenceClassification backbone, EarlyExitMethod method, ParameterSet exitHeads, TokenPooling headInput,
        OnnxExportOptions? options = null)
    {
        options ??= new OnnxExportOptions();
        options.Validate();
        CheckExportable(backbone);
        var config = backbone.Config;
        if (method == EarlyExitMethod.DeeBert && config.NumLabels == 1)
            throw new NotSupportedException("DeeBERT exits on the entropy of class probabilities; it does not apply to a regression model (num_labels = 1)");
        CheckHeadsMatch(config, method, exitHeads);
        bool deebert = method == EarlyExitMethod.DeeBert;
        var g = new OnnxGraphBuilder(deebert ? "deebert_for_sequence_classification" : "pabee_for_sequence_classification");
        var (inputIds, attentionMask, tokenTypeIds) = Inputs(g);
        double defaultKnob = (deebert ? options.Entropy : options.Patience) ?? (deebert ? DeeBertMethod.Instance : (AdaptiveMethod)PabeeMethod.Instance).DefaultKnob(config);
        string knob = deebert ? g.Initializer("entropy", [(float)defaultKnob]) : g.Int64Initializer("patience", (long)defaultKnob);
        g.Input(knob, deebert ? DataType.Float : DataType.Int64);
        string mask = AttentionMaskGraph.Add(g, attentionMask);
        string hidden = EmbeddingsGraph.Add(g, backbone.Parameters, config, inputIds, tokenTypeIds);
        var (logits, plan) = EarlyExitGraph.Add(g, hidden, mask, new RealTokensGraph(g, attentionMask), inputIds, config, backbone.Parameters, method, exitHeads,
            headInput, knob);
        g.Output(logits, "logits", DataType.Float, "batch", config.NumLabels);
        g.Output(plan, "plan", DataType.Bool, "batch", config.NumHiddenLayers);
        return Model(g, options, config, new()
        {
            ["method"] = deebert ? "deebert" : "pabee",
            [deebert ? "entropy" : "patience"] = deebert ? ((float)defaultKnob).ToString("R", CultureInfo.InvariantCulture) : ((long)defaultKnob).ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> atomically: a temporary file beside it, flushed, then
    /// renamed over the target, so a failed export leaves no partial file and an existing file untouched.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written; the message names the path.</exception>
    /// <exception cref="NotSupportedException">The model exceeds protobuf's 2 GB limit (external weight files are not written).</exception>
    public static OnnxExportResult Save(ModelProto model, string path)
    {
        long size = model.CalculateSize();
        if (size >= int.MaxValue)
            throw new NotSupportedException($"{path}: the model is {size:N0} bytes, above the 2 GB a single ONNX protobuf can hold; external weight files are not supported");
        string fullPath = Path.GetFullPath(path);
        AtomicFile.Write(fullPath, stream => model.WriteTo(stream));
        var inputs = model.Graph.Input.Select(i => i.Name).ToList();
        string? knob = inputs.FirstOrDefault(KnobInputs.Contains);
        return new OnnxExportResult(fullPath, new FileInfo(fullPath).Length, (int)model.OpsetImport.Single(o => o.Domain.Length == 0).Version,
            Operators(model), inputs, model.Graph.Output.Select(o => o.Name).ToList(), knob,
            knob is null ? null : model.MetadataProps.Single(p => p.Key == knob).Value);
    }

    private static readonly string[] KnobInputs = ["theta", "entropy", "patience"];

    /// <summary>Every operator type in <paramref name="model"/>'s graph, sorted.</summary>
    public static IReadOnlyList<string> Operators(ModelProto model) =>
        model.Graph.Node.Select(n => n.OpType).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Throws when the model uses a setting this exporter does not write, naming the configuration key.</summary>
    private static void CheckExportable(BertForSequenceClassification model)
    {
        var c = model.Config;
        if (c.HiddenAct != "gelu")
            throw new NotSupportedException($"config.json: \"hidden_act\" = \"{c.HiddenAct}\" cannot be exported; the exporter writes exact (erf) \"gelu\" only");
        if (c.PositionEmbeddingType != "absolute")
            throw new NotSupportedException($"config.json: \"position_embedding_type\" = \"{c.PositionEmbeddingType}\" cannot be exported; only \"absolute\"");
        if (!model.Parameters.Contains("bert.pooler.dense.weight"))
            throw new NotSupportedException("the model has no pooler (bert.pooler.dense.*); a sequence classifier needs one");
    }

    /// <summary>Throws when <paramref name="planner"/> was made for another backbone, saying what differs.</summary>
    private static void CheckPlannerMatches(BertConfig config, PlanningModule planner)
    {
        int covered = planner.AlwaysRunLayers + planner.PlannedLayers;
        if (covered != config.NumHiddenLayers)
            throw new ArgumentException($"the planner does not match the backbone: it plans {planner.PlannedLayers} layers after {planner.AlwaysRunLayers} always-run layers ({covered} in all), the backbone has {config.NumHiddenLayers}");
        var hiddenWeight = planner.Parameters.Info("planner.hidden.weight");
        if (hiddenWeight.Shape[1] != config.HiddenSize)
            throw new ArgumentException($"the planner does not match the backbone: planner.hidden.weight is {hiddenWeight.ShapeText}, reading hidden states of width {hiddenWeight.Shape[1]}; the backbone's hidden_size is {config.HiddenSize}");
    }

    /// <summary>Throws when <paramref name="exitHeads"/> lacks a head of <paramref name="method"/> or one has the wrong shape, naming the key.</summary>
    private static void CheckHeadsMatch(BertConfig config, EarlyExitMethod method, ParameterSet exitHeads)
    {
        int h = config.HiddenSize, n = config.NumLabels;
        foreach (var (key, shape) in ExitHeads.Layout(config, method))
        {
            if (!exitHeads.Contains(key))
                throw new ArgumentException($"the exit heads do not match the backbone: no {key} (a {method} model of {config.NumHiddenLayers} layers needs one)");
            var info = exitHeads.Info(key);
            if (!info.Shape.SequenceEqual(shape))
                throw new ArgumentException($"the exit heads do not match the backbone: {key} is {info.ShapeText}, the backbone (hidden {h}, {n} labels) needs [{string.Join(", ", shape)}]");
        }
    }

    private static (string InputIds, string AttentionMask, string TokenTypeIds) Inputs(OnnxGraphBuilder g)
    {
        foreach (string name in new[] { "input_ids", "attention_mask", "token_type_ids" }) g.Input(name, DataType.Int64, "batch", "sequence");
        return ("input_ids", "attention_mask", "token_type_ids");
    }

    private static ModelProto Model(OnnxGraphBuilder g, OnnxExportOptions options, BertConfig config, Dictionary<string, string> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = options.IrVersion,
            ProducerName = "DpBert.Interactive",
            ProducerVersion = typeof(BertOnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Graph = g.Graph,
            DocString = "BERT sequence classifier exported by DpBert.Interactive (Hugging Face numerics: post-LN, exact erf GELU).",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        metadata["num_labels"] = config.NumLabels.ToString(CultureInfo.InvariantCulture);
        metadata["num_hidden_layers"] = config.NumHiddenLayers.ToString(CultureInfo.InvariantCulture);
        metadata["id2label"] = string.Join(",", Enumerable.Range(0, config.NumLabels).Select(config.LabelName));
        foreach (var (key, value) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }
}
