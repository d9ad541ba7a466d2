using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using CoreConfig = DpBert.Bert.BertConfig;

namespace DpBert.TorchSharp.Bert;

/// <summary>
/// Hugging Face's <c>BertSelfAttention</c>: separate query, key and value projections, then per head
/// <c>softmax(Q K^T / sqrt(d) + mask) V</c> with dropout on the probabilities.
/// </summary>
public sealed class BertSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query, key, value;
    private readonly Dropout dropout;
    private readonly long _heads, _headSize;

    /// <summary>Creates the projections of <paramref name="config"/>.</summary>
    public BertSelfAttention(CoreConfig config) : base(nameof(BertSelfAttention))
    {
        _heads = config.NumAttentionHeads;
        _headSize = config.HeadSize;
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.AttentionProbsDropoutProb);
        RegisterComponents();
    }

    /// <summary>Context (B, S, H) of <paramref name="hidden"/> (B, S, H) under the additive mask (B, 1, 1, S).</summary>
    public override Tensor forward(Tensor hidden, Tensor additiveMask)
    {
        long b = hidden.shape[0], s = hidden.shape[1];
        using var scope = NewDisposeScope();
        Tensor Heads(Linear projection) => projection.forward(hidden).view(b, s, _heads, _headSize).transpose(1, 2); // (B, NH, S, HS)
        var q = Heads(query);
        var k = Heads(key);
        var v = Heads(value);
        var scores = matmul(q, k.transpose(-1, -2)) / Math.Sqrt(_headSize) + additiveMask; // (B, NH, S, S)
        var probabilities = dropout.forward(nn.functional.softmax(scores, -1));
        return matmul(probabilities, v).transpose(1, 2).reshape(b, s, _heads * _headSize).MoveToOuterDisposeScope();
    }
}
