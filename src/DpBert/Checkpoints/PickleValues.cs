namespace DpBert.Checkpoints;

/// <summary>An allowed global (<c>module.name</c>) that the unpickler pushed; only <see cref="RestrictedUnpickler"/> creates them.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
}

/// <summary>A dict or <c>collections.OrderedDict</c>, in insertion order.</summary>
internal sealed class PickleDict
{
    public List<KeyValuePair<object?, object?>> Items { get; } = [];
}

/// <summary>A list (a state dict's <c>_metadata</c> may hold some).</summary>
internal sealed class PickleList
{
    public List<object?> Items { get; } = [];
}

/// <summary>A storage named by a persistent id: its element type, its key (the zip entry <c>data/&lt;key&gt;</c>) and its element count.</summary>
internal sealed record PickleStorage(SafetensorsDtype Dtype, string TypeName, string Key, long ElementCount);

/// <summary>A tensor rebuilt by <c>torch._utils._rebuild_tensor_v2</c>: a view of a storage.</summary>
internal sealed record PickleTensor(PickleStorage Storage, long StorageOffset, long[] Shape, long[] Strides);
