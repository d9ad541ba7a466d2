namespace DpBert.Checkpoints;

/// <summary>
/// A checkpoint's tensors by name, whatever the file format: a <see cref="SafetensorsFile"/> or a
/// <see cref="PyTorchCheckpointFile"/> (<c>pytorch_model.bin</c>). Open one with <see cref="CheckpointFile.Open"/>.
/// </summary>
public interface ICheckpointTensors : IDisposable
{
    /// <summary>The file the tensors came from; error messages name it.</summary>
    string Path { get; }

    /// <summary>Every tensor: name, element type and shape (dtypes use the safetensors names).</summary>
    IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>Converts tensor <paramref name="name"/> to float32 into <paramref name="destination"/> (length = element count).</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="ArgumentException">The destination length differs from the element count.</exception>
    /// <exception cref="InvalidDataException">The tensor is not of a floating-point type.</exception>
    void CopyToFloat32(string name, Span<float> destination);
}
