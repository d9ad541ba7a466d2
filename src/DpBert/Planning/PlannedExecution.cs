using DpBert.Bert;

namespace DpBert.Planning;

/// <summary>
/// Runs a classifier with a <see cref="LayerPlan"/> per input, skipping bypassed layers for real: each layer
/// runs only on the sub-batch of rows whose plan selects it (gathered into a contiguous buffer, then
/// scattered back), so skipping pays off at batch 1 and in batches alike. Rows that skip a layer keep their
/// hidden state unchanged.
/// </summary>
public sealed class PlannedExecution
{
    private readonly BertForSequenceClassification _model;
    private readonly BertActivations _sub;

    /// <summary>Prepares planned execution for <paramref name="model"/> (not thread-safe, like the model).</summary>
    public PlannedExecution(BertForSequenceClassification model)
    {
        _model = model;
        _sub = new BertActivations(model.Config);
    }

    /// <summary>Logits (B, num_labels) of <paramref name="batch"/> with one plan per row.</summary>
    /// <exception cref="ArgumentException">The number of plans or a plan's length does not match.</exception>
    public float[] Forward(BertBatch batch, IReadOnlyList<LayerPlan> plans)
    {
        var config = _model.Config;
        int b = batch.BatchSize, s = batch.SequenceLength, h = config.HiddenSize, layers = config.NumHiddenLayers;
        if (plans.Count != b) throw new ArgumentException($"{plans.Count} layer plans for a batch of {b} inputs", nameof(plans));
        for (int r = 0; r < b; r++)
            if (plans[r].LayerCount != layers) throw new ArgumentException($"plan {r} covers {plans[r].LayerCount} layers; the model has {layers}", nameof(plans));

        // Embeddings for every row (the full forward with no layer run), then the planned layers.
        _model.Bert.Forward(batch, runLayer: _ => false);
        RunLayers(batch, plans, 0, layers);
        return Head(batch);
    }

    /// <summary>
    /// Runs layers <c>[first, end)</c> on the hidden states already in the model's activations, each on the
    /// rows whose plan selects it.
    /// </summary>
    internal void RunLayers(BertBatch batch, IReadOnlyList<LayerPlan> plans, int first, int end)
    {
        int b = batch.BatchSize, s = batch.SequenceLength, h = _model.Config.HiddenSize;
        var bert = _model.Bert;
        var ws = bert.Activations;
        var rows = new List<int>(b);
        for (int l = first; l < end; l++)
        {
            rows.Clear();
            for (int r = 0; r < b; r++) if (plans[r].Runs(l)) rows.Add(r);
            if (rows.Count == 0) continue;
            if (rows.Count == b)
            {
                bert.Layers[l].Forward(ws, b, s);
                continue;
            }
            // Gather the selected rows, run the layer on them, scatter back.
            _sub.EnsureCapacity(rows.Count, s);
            for (int i = 0; i < rows.Count; i++)
            {
                ws.Hidden.AsSpan(rows[i] * s * h, s * h).CopyTo(_sub.Hidden.AsSpan(i * s * h, s * h));
                ws.AdditiveMask.AsSpan(rows[i] * s, s).CopyTo(_sub.AdditiveMask.AsSpan(i * s, s));
            }
            bert.Layers[l].Forward(_sub, rows.Count, s);
            for (int i = 0; i < rows.Count; i++) _sub.Hidden.AsSpan(i * s * h, s * h).CopyTo(ws.Hidden.AsSpan(rows[i] * s * h, s * h));
        }
    }

    /// <summary>Pooler and classifier on the current hidden states: logits (B, num_labels).</summary>
    internal float[] Head(BertBatch batch)
    {
        int b = batch.BatchSize, s = batch.SequenceLength;
        var ws = _model.Bert.Activations;
        _model.Bert.Pooler!.Forward(ws.Pooled, ws.Hidden, b, s);
        var logits = new float[b * _model.Config.NumLabels];
        _model.Classifier.Forward(logits, ws.Pooled, b);
        return logits;
    }
}
