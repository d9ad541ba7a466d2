using DpBert.Checkpoints;
using DpBert.Glue;
using Spectre.Console;

namespace DpBert.Cli;

/// <summary>
/// Download progress on standard error, one Spectre.Console row per file (bytes, transfer speed), only when
/// standard error is a terminal, so redirected logs stay clean. Status lines (a NuGet model's restore and import, which
/// download nothing through this class) are written whole, always, each on its own line.
/// </summary>
internal sealed class DownloadProgressLine(TextWriter error) : IProgress<HubDownloadProgress>, IProgress<GlueDownloadProgress>, IProgress<string>
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ProgressTask> _files = [];
    private LiveProgress? _live;
    private bool _checked;

    public void Report(HubDownloadProgress value) => Draw(value.FileName, value.BytesDone, value.TotalBytes);

    public void Report(GlueDownloadProgress value) => Draw(value.FileName, value.BytesDone, value.TotalBytes);

    public void Report(string status)
    {
        lock (_gate) error.WriteLine(status);
    }

    public void Finish()
    {
        lock (_gate) _live?.Stop();
    }

    private void Draw(string file, long done, long? total)
    {
        lock (_gate)
        {
            if (!_checked)
            {
                // Started at the first byte: nothing is shown for models and data already on disk.
                _checked = true;
                _live = LiveProgress.Start(error, new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn());
            }
            if (_live is null) return;
            if (!_files.TryGetValue(file, out var task)) _files[file] = task = _live.AddTask(file, total is > 0 ? total.Value : Math.Max(1, done));
            if (total is > 0) task.MaxValue = total.Value;
            else task.IsIndeterminate = true;
            task.Value = done;
        }
    }
}
