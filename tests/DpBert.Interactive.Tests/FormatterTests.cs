using DpBert.Evaluation;
using DpBert.Interactive.Formatting;
using DpBert.Tokenization;
using Microsoft.DotNet.Interactive.Formatting;

namespace DpBert.Interactive.Tests;

/// <summary>The views through the real .NET Interactive formatter, found by the TypeFormatterSource convention.</summary>
public class FormatterTests
{
    public static TheoryData<IHtmlView> Views()
    {
        var paths = new[] { Samples.Path("1101", probabilities: [null, 0.9, 0.2, 0.8]), Samples.Path("1111", "negative") };
        var results = new[] { Samples.Method("full", null, 0.9, 10, 1), Samples.Method("dpbert", 0.5, 0.89, 6, 1.67) };
        var curves = new TrainingCurves([new TrainingStepPoint(1, 0.1, 0.7, 1e-3), new TrainingStepPoint(2, 0.2, 0.6, 9e-4)],
            [new TrainingEvaluationPoint(2, 0.2, new Dictionary<string, double> { ["accuracy"] = 0.6 })]);
        return new TheoryData<IHtmlView>
        {
            paths[0].ToPathView(),
            paths.ToPathGallery(),
            paths.ToLayerUsageHeatmap(),
            results.ToLatencyTable(),
            new TradeoffResult("sst2", "accuracy", results, results).ToChart(),
            curves,
            new TrainingStatus(null, curves),
            new BertEncoding([101, 102], [0, 0], [1, 1], ["[CLS]", "[SEP]"]).ToTokenizerView(),
        };
    }

    [Theory]
    [MemberData(nameof(Views))]
    public void Html_through_the_real_formatter_is_the_view_html_and_well_formed(IHtmlView view)
    {
        string html = Formatter.ToDisplayString(view, "text/html");
        Assert.Equal(view.ToHtml(), html);
        var root = Xhtml.Parse(html);
        Assert.NotNull(root.Elements().Single().Attr("data-dpbert"));
        Assert.Empty(root.All("script"));
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal); // nothing fetched from outside
    }

    [Theory]
    [MemberData(nameof(Views))]
    public void Plain_text_through_the_real_formatter_is_the_summary(IHtmlView view) =>
        Assert.Equal(view.ToString(), Formatter.ToDisplayString(view, "text/plain"));

    [Fact]
    public void Every_view_type_is_registered_and_covered_by_these_tests()
    {
        var tested = ((IEnumerable<object[]>)Views()).Select(row => row[0].GetType()).Distinct().OrderBy(t => t.Name).ToList();
        Assert.Equal(ViewFormatterSource.ViewTypes, tested);
        foreach (var type in ViewFormatterSource.ViewTypes)
        {
            var attribute = type.GetCustomAttributes(false).Single(a => a.GetType().Name == "TypeFormatterSourceAttribute");
            Assert.Equal(typeof(ViewFormatterSource), attribute.GetType().GetProperty("FormatterSourceType")!.GetValue(attribute));
            Assert.Equal(["text/html"], (string[])attribute.GetType().GetProperty("PreferredMimeTypes")!.GetValue(attribute)!);
        }
    }

    [Fact]
    public void The_source_refuses_other_types_and_mime_types()
    {
        Assert.Throws<ArgumentException>(() => new ViewFormatter(typeof(string), ViewFormatter.Html));
        Assert.Throws<ArgumentException>(() => new ViewFormatter(typeof(LatencyTable), "image/png"));
        Assert.False(new ViewFormatter(typeof(LatencyTable), ViewFormatter.Html).Format("not a view", new StringWriter()));
    }
}
