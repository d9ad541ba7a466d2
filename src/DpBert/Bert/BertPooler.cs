using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>Hugging Face's <c>BertPooler</c>: <c>tanh(dense(h[:, 0]))</c>, the [CLS] token of each sequence.</summary>
public sealed class BertPooler
{
    private readonly int _hidden;

    /// <summary><c>pooler.dense</c>.</summary>
    public Linear Dense { get; }

    /// <summary>Binds to <c>{prefix}pooler.dense</c>.</summary>
    public BertPooler(ParameterSet parameters, BertConfig config, string prefix = "bert.")
    {
        _hidden = config.HiddenSize;
        Dense = new Linear(parameters, prefix + "pooler.dense");
    }

    /// <summary>Pools the first token of each of <paramref name="batchSize"/> sequences.</summary>
    /// <param name="pooled">Output (B, H).</param>
    /// <param name="hidden">Last hidden states (B*S, H).</param>
    /// <param name="batchSize">B.</param>
    /// <param name="seqLen">S: the [CLS] rows are S*H apart.</param>
    public void Forward(Span<float> pooled, ReadOnlySpan<float> hidden, int batchSize, int seqLen)
    {
        Dense.Forward(pooled, hidden, batchSize, ldx: seqLen * _hidden);
        var y = pooled[..(batchSize * _hidden)];
        Tanh.Forward(y, y);
    }

    /// <summary>Backward: <paramref name="dPooled"/> (B, H) to the [CLS] rows of <paramref name="dHidden"/> (T, H, accumulated).</summary>
    /// <param name="dHidden">Gradient of the last hidden states, accumulated on each sequence's first row.</param>
    /// <param name="grads">Parameter gradients.</param>
    /// <param name="dPooled">Gradient of the pooled output (B, H); consumed (turned into the pre-tanh gradient).</param>
    /// <param name="pooled">Forward output (B, H), after tanh.</param>
    /// <param name="hidden">Forward input (T, H).</param>
    /// <param name="batchSize">B.</param>
    /// <param name="seqLen">S.</param>
    public void Backward(Span<float> dHidden, ParameterSet grads, Span<float> dPooled, ReadOnlySpan<float> pooled, ReadOnlySpan<float> hidden, int batchSize, int seqLen)
    {
        int n = batchSize * _hidden;
        var dPre = dPooled[..n];
        for (int i = 0; i < n; i++) dPre[i] *= 1f - pooled[i] * pooled[i];
        Dense.Backward(dHidden, grads, dPre, hidden, batchSize, ldx: seqLen * _hidden);
    }
}
