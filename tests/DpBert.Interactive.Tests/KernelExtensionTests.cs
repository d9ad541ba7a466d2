using DpBert.Evaluation;
using DpBert.Interactive.KernelExtension;
using DpBert.Tokenization;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;

namespace DpBert.Interactive.Tests;

/// <summary>
/// The kernel extension in .NET Interactive's real C# kernel (Microsoft.DotNet.Interactive.CSharp), in process: what a
/// notebook gets after <c>#r "nuget: DpBert.Interactive"</c> loads it. (The notebook tests run the same extension in
/// Jupyter through the Jupyter protocol; these show the kernel events behind it.)
/// </summary>
[Collection(StaticHosts.Name)]
public sealed class KernelExtensionTests : IAsyncLifetime
{
    private CompositeKernel _kernel = null!;

    public async Task InitializeAsync()
    {
        var csharp = new CSharpKernel().UseKernelHelpers();     // display(), as the dotnet-interactive tool sets it up
        csharp.AddAssemblyReferences(new[] { typeof(DpBert.Bert.BertConfig), typeof(IHtmlView), typeof(Microsoft.Data.Analysis.DataFrame) }.Select(t => t.Assembly.Location));
        _kernel = new CompositeKernel { csharp };
        _kernel.DefaultKernelName = csharp.Name;
        await new DpBertKernelExtension().OnLoadAsync(_kernel);
    }

    public Task DisposeAsync()
    {
        _kernel.Dispose();
        LiveOutput.Host = null;
        InteractiveChart.Renderer = null;
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_cell_uses_System_IO_DpBert_and_DataFrame_without_usings()
    {
        var result = await Submit("""Path.Combine("a", "b") + "|" + nameof(BertConfig) + "|" + nameof(PathExplainer) + "|" + nameof(DataFrame) + "|" + nameof(TrainingMonitor)""");
        Assert.Equal("a/b|BertConfig|PathExplainer|DataFrame|TrainingMonitor", result.Events.OfType<ReturnValueProduced>().Single().Value);
    }

    [Fact]
    public void The_usings_are_every_public_namespace_of_DpBert_and_DpBert_Interactive()
    {
        var expected = new[] { typeof(DpBert.Bert.BertConfig).Assembly, typeof(IHtmlView).Assembly }.SelectMany(a => a.GetExportedTypes()).Select(t => t.Namespace!).ToHashSet();
        Assert.Superset(expected, NotebookUsings.Namespaces.ToHashSet());
        Assert.Contains("System.IO", NotebookUsings.Namespaces);
        Assert.Contains("Microsoft.Data.Analysis", NotebookUsings.Namespaces);
    }

    public static TheoryData<IHtmlView> Views()
    {
        var paths = new[] { Samples.Path("1101", probabilities: [null, 0.9, 0.2, 0.8]), Samples.Path("1111", "negative") };
        var results = new[] { Samples.Method("full", null, 0.9, 10, 1), Samples.Method("dpbert", 0.5, 0.89, 6, 1.67) };
        var curves = new TrainingCurves([new TrainingStepPoint(1, 0.1, 0.7, 1e-3), new TrainingStepPoint(2, 0.2, 0.6, 9e-4)],
            [new TrainingEvaluationPoint(2, 0.2, new Dictionary<string, double> { ["accuracy"] = 0.6 })]);
        var tradeoff = new TradeoffResult("sst2", "accuracy", results, results);
        return new TheoryData<IHtmlView>
        {
            paths[0].ToPathView(),
            paths.ToPathGallery(),
            paths.ToLayerUsageHeatmap(),
            results.ToLatencyTable(),
            new[] { results[1] with { Diversity = PlanDiversity.From([DpBert.Bert.LayerPlan.Parse("1101"), DpBert.Bert.LayerPlan.Parse("1111")], [0.9, 0.6], [5, 9]) } }.ToPlanMix(),
            tradeoff.ToChart(),
            curves,
            new TrainingStatus(null, curves),
            new SweepStatus("sst2", "accuracy", 1, 2, results[..1]),
            new BertEncoding([101, 102], [0, 0], [1, 1], ["[CLS]", "[SEP]"]).ToTokenizerView(),
        };
    }

    [Theory]
    [MemberData(nameof(Views))]
    public async Task A_view_as_a_cells_value_renders_as_its_html(IHtmlView view)
    {
        var csharp = (CSharpKernel)_kernel.FindKernelByName("csharp");
        await csharp.SetValueAsync("view", view, view.GetType());
        var produced = (await Submit("view")).Events.OfType<ReturnValueProduced>().Single();
        Assert.Equal(view.ToHtml(), produced.FormattedValues.Single(v => v.MimeType == "text/html").Value);
    }

    [Fact]
    public void Every_view_type_is_registered_and_covered_by_these_tests()
    {
        var tested = ((IEnumerable<object[]>)Views()).Select(row => row[0].GetType()).Distinct().OrderBy(t => t.Name, StringComparer.Ordinal);
        Assert.Equal(ViewFormatters.ViewTypes.Where(t => t != typeof(InteractiveChart)), tested);
    }

    [Fact]
    public async Task A_live_output_update_carries_the_display_id_of_the_output_it_replaces()
    {
        var events = (await Submit("""
            var output = LiveOutput.Show(new TrainingStatus(null, TrainingCurves.FromProgress([])));
            output.Update(new TrainingStatus(null, TrainingCurves.FromProgress([]), Finished: true));
            """)).Events;
        var shown = events.OfType<DisplayedValueProduced>().Single();
        var updated = events.OfType<DisplayedValueUpdated>().Single();
        Assert.Equal(shown.ValueId, updated.ValueId);
        Assert.Contains("data-state=\"waiting\"", shown.FormattedValues.Single(v => v.MimeType == "text/html").Value, StringComparison.Ordinal);
        Assert.Contains("data-state=\"finished\"", updated.FormattedValues.Single(v => v.MimeType == "text/html").Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_kernels_own_display_handle_updates_under_another_display_id()
    {
        // Why LiveOutput exists: display(x) raises one DisplayedValue and returns another with a fresh id, so Jupyter
        // receives update_display_data for an output it never saw and drops it. Should a kernel fix this, this test fails
        // and LiveOutput's workaround can go.
        var events = (await Submit("""var handle = display("first"); handle.Update("second");""")).Events;
        Assert.NotEqual(events.OfType<DisplayedValueProduced>().Single().ValueId, events.OfType<DisplayedValueUpdated>().Single().ValueId);
    }

    [Fact]
    public async Task A_training_monitor_shows_one_output_and_completes_it_in_place()
    {
        var events = (await Submit("""
            var monitor = TrainingMonitor.Show(interval: TimeSpan.Zero);
            monitor.Report(new TrainingProgress(TrainingEventKind.Step, 1, 2, 0.5, 0.7, 1e-3, 1.0, 100, 1000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
            monitor.Complete();
            """)).Events;
        string id = events.OfType<DisplayedValueProduced>().Single().ValueId;
        var updates = events.OfType<DisplayedValueUpdated>().ToList();
        Assert.Equal(2, updates.Count);
        Assert.All(updates, u => Assert.Equal(id, u.ValueId));
        Assert.Contains("data-state=\"finished\"", updates[^1].FormattedValues.Single(v => v.MimeType == "text/html").Value, StringComparison.Ordinal);
    }

    private async Task<KernelCommandResult> Submit(string code)
    {
        var result = await _kernel.SendAsync(new SubmitCode(code));
        var failed = result.Events.OfType<CommandFailed>().FirstOrDefault();
        Assert.True(failed is null, $"the cell failed: {failed?.Message}\n{code}");
        return result;
    }
}

/// <summary>Tests that set <see cref="LiveOutput.Host"/> or <see cref="InteractiveChart.Renderer"/> (process-wide) run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StaticHosts
{
    public const string Name = "static hosts";
}
