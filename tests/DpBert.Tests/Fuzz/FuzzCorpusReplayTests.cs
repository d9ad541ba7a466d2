using DpBert.Fuzz;

namespace DpBert.Tests.Fuzz;

/// <summary>
/// Replays the minimised fuzz corpora (tests/DpBert.Fuzz/corpus/&lt;target&gt;/, what AFL++ campaigns found) on every
/// run: every reader is run on every corpus file of every target, and must accept it or refuse it with its typed error
/// naming the file, within its allocation budget (the contract of <see cref="FuzzTarget"/>). AFL itself does not run here.
/// </summary>
public sealed class FuzzCorpusReplayTests
{
    private static readonly string CorpusFolder = FindCorpusFolder();

    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_corpus_file_is_accepted_or_refused_with_the_readers_typed_error(string targetName)
    {
        var target = FuzzTargets.Get(targetName);
        var files = Directory.EnumerateFiles(CorpusFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        using var workspace = new FuzzWorkspace();
        var broken = new List<string>();
        int accepted = 0;
        foreach (string file in files)
        {
            try { if (target.Run(File.ReadAllBytes(file), workspace).IsAccepted) accepted++; }
            catch (Exception e) { broken.Add($"{Path.GetRelativePath(CorpusFolder, file)}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(broken.Count == 0, $"{targetName}: {broken.Count} of {files.Length} corpus files break the contract:\n" + string.Join("\n", broken.Take(20)));
        // Its own corpus holds inputs the reader accepts (the seeds and what grew from them), so the replay reaches past the first check.
        Assert.True(accepted > 0, $"{targetName}: no corpus file was accepted");
    }

    [Fact]
    public void Every_target_has_a_committed_corpus_of_at_most_a_few_hundred_small_files()
    {
        foreach (var target in FuzzTargets.All)
        {
            string folder = Path.Combine(CorpusFolder, target.Name);
            Assert.True(Directory.Exists(folder), $"no corpus for {target.Name}: run tests/DpBert.Fuzz/run-campaign.sh {target.Name}");
            var files = Directory.GetFiles(folder);
            Assert.InRange(files.Length, 1, 500);
            Assert.All(files, f => Assert.InRange(new FileInfo(f).Length, 0, 256 * 1024));
        }
    }

    private static string FindCorpusFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "DpBert.Fuzz", "corpus");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"no tests/DpBert.Fuzz/corpus above {AppContext.BaseDirectory}");
    }
}
