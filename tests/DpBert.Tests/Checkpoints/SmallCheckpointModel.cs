using DpBert.Bert;

namespace DpBert.Tests.Checkpoints;

/// <summary>A model small enough to build checkpoints by hand: 1 layer, hidden 4, 3 labels.</summary>
internal static class SmallCheckpointModel
{
    public static BertConfig Config { get; } = new()
    {
        VocabSize = 10, HiddenSize = 4, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 8,
        MaxPositionEmbeddings = 6, TypeVocabSize = 2, NumLabelsValue = 3,
    };
}
