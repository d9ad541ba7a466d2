namespace DpBert.Bert;

/// <summary>
/// One inference pass over the encoder as a policy sees it between layers: the hidden states of every row and,
/// per row and layer, whether the layer runs. Layers before <see cref="CurrentLayer"/> are done; the policy may
/// change the decisions for the others. Owned by the <see cref="BertModel"/> and reused by its next pass.
/// </summary>
public sealed class EncoderState
{
    private bool[] _runs = [];     // (B, L): layer l runs (or ran) for row r
    private bool[] _stopped = [];  // (B): the row stopped early; no further layer runs for it
    private BertActivations _activations = null!;

    /// <summary>The input of the pass.</summary>
    public BertBatch Batch { get; private set; } = null!;
    /// <summary>Rows of the batch (B).</summary>
    public int BatchSize => Batch.BatchSize;
    /// <summary>Padded sequence length (S).</summary>
    public int SequenceLength => Batch.SequenceLength;
    /// <summary>Encoder layers (L).</summary>
    public int LayerCount { get; private set; }
    /// <summary>Hidden size (H).</summary>
    public int HiddenSize { get; private set; }
    /// <summary>The boundary the pass stands at: layers below it have run (for the rows that run them).</summary>
    public int CurrentLayer { get; internal set; }

    /// <summary>
    /// Hidden states (B*S, H) after the layers run so far; a row that bypassed a layer or stopped keeps the state
    /// it had.
    /// </summary>
    public ReadOnlySpan<float> Hidden => _activations.Hidden.AsSpan(0, BatchSize * SequenceLength * HiddenSize);

    /// <summary>The [CLS] vector (H) of <paramref name="row"/>: its first token's hidden state.</summary>
    public ReadOnlySpan<float> Cls(int row) => _activations.Hidden.AsSpan(row * SequenceLength * HiddenSize, HiddenSize);

    /// <summary>True when layer <paramref name="layer"/> runs (or ran) for <paramref name="row"/>.</summary>
    public bool Runs(int row, int layer) => _runs[row * LayerCount + layer];

    /// <summary>Decides whether a layer not yet reached runs for <paramref name="row"/>.</summary>
    /// <exception cref="InvalidOperationException">The layer has already been passed, or the row has stopped.</exception>
    public void SetRuns(int row, int layer, bool runs)
    {
        if (layer < CurrentLayer) throw new InvalidOperationException($"layer {layer} has already been passed (the pass stands before layer {CurrentLayer})");
        if (runs && _stopped[row]) throw new InvalidOperationException($"row {row} has stopped; it runs no further layer");
        _runs[row * LayerCount + layer] = runs;
    }

    /// <summary>Stops <paramref name="row"/>: none of the remaining layers runs for it (an early exit).</summary>
    public void Stop(int row)
    {
        _stopped[row] = true;
        for (int l = CurrentLayer; l < LayerCount; l++) _runs[row * LayerCount + l] = false;
    }

    /// <summary>True when <paramref name="row"/> has stopped.</summary>
    public bool IsStopped(int row) => _stopped[row];

    /// <summary>The layers of <paramref name="row"/>: those it ran and those it will run.</summary>
    public LayerPlan Plan(int row) => new(_runs.AsSpan(row * LayerCount, LayerCount).ToArray());

    /// <summary>The plan of every row.</summary>
    public IReadOnlyList<LayerPlan> Plans() => Enumerable.Range(0, BatchSize).Select(Plan).ToArray();

    /// <summary>Starts a pass in which every row runs every layer.</summary>
    internal void Begin(BertActivations activations, BertBatch batch, int layers, int hidden)
    {
        _activations = activations;
        Batch = batch;
        LayerCount = layers;
        HiddenSize = hidden;
        CurrentLayer = 0;
        int b = batch.BatchSize;
        if (_runs.Length < b * layers) _runs = new bool[b * layers];
        if (_stopped.Length < b) _stopped = new bool[b];
        _runs.AsSpan(0, b * layers).Fill(true);
        _stopped.AsSpan(0, b).Clear();
    }
}
