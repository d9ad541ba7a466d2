namespace DpBert.Checkpoints;

/// <summary>Opens a checkpoint in either format Hugging Face publishes, telling them apart by content, not by name.</summary>
public static class CheckpointFile
{
    /// <summary>File name of PyTorch weights in a model folder.</summary>
    public const string PyTorchWeightsFileName = "pytorch_model.bin";

    /// <summary>
    /// Opens <paramref name="path"/>: a zip (<c>PK</c>) is read as a <c>torch.save</c> checkpoint
    /// (<see cref="PyTorchCheckpointFile"/>), as is any <c>.bin</c> file; anything else as safetensors (<see cref="SafetensorsFile"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is malformed; the message names it and the problem.</exception>
    public static ICheckpointTensors Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Span<byte> magic = stackalloc byte[2];
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            if (stream.Read(magic) < 2) magic.Clear();
        }
        bool pyTorch = magic is [(byte)'P', (byte)'K'] || path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase);
        return pyTorch ? PyTorchCheckpointFile.Open(path) : SafetensorsFile.Open(path);
    }
}
