using DpBert.Interactive;
using Microsoft.DotNet.Interactive;

namespace DpBert.Interactive.KernelExtension;

/// <summary>
/// What <c>#r "nuget: DpBert.Interactive"</c> sets up in the .NET Interactive kernel (the package carries this assembly
/// under <c>interactive-extensions/dotnet/</c>, where the kernel looks for <see cref="IKernelExtension"/>s): the views'
/// HTML formatters, live outputs that the kernel updates in place, interactive Plotly charts, and the usings a
/// notebook needs (System.IO, every DpBert namespace, Microsoft.Data.Analysis).
/// </summary>
public sealed class DpBertKernelExtension : IKernelExtension
{
    /// <inheritdoc/>
    public async Task OnLoadAsync(Kernel kernel)
    {
        ViewFormatters.Register();
        LiveOutput.Host = KernelLiveOutput.Show;
        // Plotly.NET loads on the first interactive chart, not with the package.
        string extensionFolder = Path.GetDirectoryName(typeof(DpBertKernelExtension).Assembly.Location)!;
        var companion = new Lazy<PlotlyCompanion>(() => PlotlyCompanion.Load(Path.Combine(extensionFolder, PlotlyCompanion.FolderName)));
        InteractiveChart.Renderer = chart => companion.Value.Render(chart);
        await NotebookUsings.AddAsync(kernel);
    }
}
