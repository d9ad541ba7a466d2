using static TorchSharp.torch;
using TokenPooling = DpBert.Bert.TokenPooling;

namespace DpBert.TorchSharp.Bert;

/// <summary>
/// What a reader of the hidden states (the pooler, DPBERT's planner) takes from them, as the core engine's
/// <see cref="DpBert.Bert.TokenPoolings"/> computes it: the [CLS] rows, or the mean of the real tokens (the positions whose
/// attention mask is not 0: their sum times the reciprocal of their count, at least 1).
/// </summary>
public static class TokenSummary
{
    /// <summary>(B, H) from <paramref name="hidden"/> (B, S, H); <paramref name="attentionMask"/> (B, S) is read for the mean only.</summary>
    public static Tensor Of(Tensor hidden, Tensor attentionMask, TokenPooling pooling)
    {
        if (pooling == TokenPooling.Cls) return hidden[.., 0];
        using var scope = NewDisposeScope();
        var real = attentionMask.ne(0).to(hidden.dtype);                                       // (B, S)
        var sum = (hidden * real.unsqueeze(-1)).sum(1);                                         // (B, H)
        return (sum * real.sum(1, keepdim: true).clamp_min(1).reciprocal()).MoveToOuterDisposeScope();
    }
}
