namespace DpBert.Tensors;

/// <summary>Scratch buffers that grow to the largest size asked for and are then reused.</summary>
internal static class Buffers
{
    /// <summary>Replaces <paramref name="buffer"/> by a larger zeroed one when it holds fewer than <paramref name="length"/> values.</summary>
    public static void Ensure<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[length];
    }
}
