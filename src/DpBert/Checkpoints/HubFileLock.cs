namespace DpBert.Checkpoints;

/// <summary>
/// An exclusive lock on a file in the cache's <c>.locks</c> folder, held while one process downloads a blob. It is an
/// open handle with <see cref="FileShare.None"/> (an advisory <c>flock</c> on Unix), so it is released when the
/// holder exits, even by a crash; the empty lock file itself stays, as <c>huggingface_hub</c>'s do.
/// </summary>
internal sealed class HubFileLock : IDisposable
{
    private readonly FileStream _handle;

    private HubFileLock(FileStream handle) => _handle = handle;

    /// <summary>Waits until the lock is free, then takes it.</summary>
    /// <exception cref="IOException">Another process held it for longer than <paramref name="timeout"/>.</exception>
    public static HubFileLock Acquire(string path, TimeSpan timeout, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try { return new HubFileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)); }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                cancellation.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(50));
                cancellation.ThrowIfCancellationRequested();
            }
            catch (IOException e)
            {
                throw new IOException($"{path}: another process has held this download lock for more than {timeout.TotalSeconds:F0} s", e);
            }
        }
    }

    public void Dispose() => _handle.Dispose();
}
