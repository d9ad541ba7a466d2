using DpBert.Bert;
using static TorchSharp.torch;

namespace DpBert.TorchSharp;

/// <summary>A <see cref="BertBatch"/> as int64 tensors (B, S) on a device.</summary>
/// <param name="InputIds">Token ids.</param>
/// <param name="TokenTypeIds">Segment ids.</param>
/// <param name="AttentionMask">1 for real tokens, 0 for padding.</param>
public sealed record TorchBatch(Tensor InputIds, Tensor TokenTypeIds, Tensor AttentionMask) : IDisposable
{
    /// <summary>Copies <paramref name="batch"/> to <paramref name="device"/>.</summary>
    public static TorchBatch From(BertBatch batch, Device device)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        Tensor Make(int[] values)
        {
            using var host = tensor(values.Select(v => (long)v).ToArray(), shape);
            return host.to(device);
        }
        return new TorchBatch(Make(batch.InputIds), Make(batch.TokenTypeIds), Make(batch.AttentionMask));
    }

    /// <summary>Rows in the batch.</summary>
    public int BatchSize => (int)InputIds.shape[0];

    /// <inheritdoc/>
    public void Dispose()
    {
        InputIds.Dispose();
        TokenTypeIds.Dispose();
        AttentionMask.Dispose();
    }
}
