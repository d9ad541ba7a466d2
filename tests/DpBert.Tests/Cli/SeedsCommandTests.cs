using DpBert.Cli;
using static DpBert.Tests.CliRun;

namespace DpBert.Tests.Cli;

/// <summary><c>dpbert seeds</c> on the committed MiniLM sweeps: the README's three-seed MRPC tables, and errors that name the input at fault.</summary>
public class SeedsCommandTests
{
    private static string Mrpc(string file) => RepositoryFiles.MiniLmSweep("mrpc", file);

    private static string Seeds(string split) => string.Join(",", new[] { 42, 43, 44 }.Select(s => Mrpc($"seed-{s}-{split}.json")));

    [Fact]
    public void Three_seeds_give_the_READMEs_MRPC_tables()
    {
        var (code, stdout, stderr) = Run("seeds", "--dev", Seeds("dev"), "--heldout", Seeds("heldout"), "--static-depths", "3,4");
        Assert.True(code == 0, stderr);
        Assert.Contains("keeping 99%", stdout);
        Assert.Contains("keeping 97%", stdout);
        // README "DPBERT on MRPC (MiniLM)": keeping 99%, DeeBERT 0.2, 0.1, 0.2 | 84.26 ± 0.42 | 99.2 ± 0.5 | 4.01 ± 0.28 | 64.6 ± 5.4
        Assert.Matches(@"\| deebert\s+\| 0\.2, 0\.1, 0\.2\s+\| 0\.8426 ± 0\.0042\s+\| 99\.2 ± 0\.5\s+\| 4\.01 ± 0\.28\s+\| 64\.6 ± 5\.4\s+\|", stdout);
        // Keeping 97%: DPBERT —, 0.1, 0.1 at 98.0 ± 0.2% of the latency.
        Assert.Matches(@"\| dpbert\s+\| -, 0\.1, 0\.1\s+\| 0\.8409 ± 0\.0028\s+\| 99\.0 ± 0\.3\s+\| 5\.95 ± 0\.04\s+\| 98\.0 ± 0\.2\s+\|", stdout);
        // The dev sweep: θ 0.8 against DeeBERT entropy 0.3, -6.4 points.
        Assert.Matches(@"\| 0\.8\s+\| 91\.5\s+\| 60\.2\s+\|[^|]+\| deebert 0\.3\s+\| 97\.9\s+\| 54\.7\s+\| -6\.4\s+\|", stdout);
    }

    [Fact]
    public void Bad_inputs_name_what_is_wrong()
    {
        var (code, _, stderr) = Run("seeds", "--dev", Seeds("dev"), "--heldout", Mrpc("seed-42-heldout.json"));
        Assert.Equal(1, code);
        Assert.Contains("--heldout has 1 sweeps and --dev 3", stderr);
        (code, _, stderr) = Run("seeds", "--dev", Mrpc("seed-45-dev.json"));
        Assert.Equal(1, code);
        Assert.Contains("seed-45-dev.json: not found", stderr);
        (code, _, stderr) = Run("seeds", "--dev", Seeds("dev"), "--heldout", Seeds("heldout"), "--keep", "0.99,1.5");
        Assert.Equal(1, code);
        Assert.Contains("--keep 0.99,1.5: every fraction must be in (0, 1]", stderr);
        (code, _, stderr) = Run("seeds", "--dev", Seeds("dev"), "--static-depths", "three");
        Assert.Equal(1, code);
        Assert.Contains("--static-depths: \"three\" is not a number", stderr);
        (code, _, stderr) = Run("seeds", "--dev", $"{Mrpc("seed-42-dev.json")},{RepositoryFiles.MiniLmSweep("stsb", "seed-42-dev.json")}");
        Assert.Equal(1, code);
        Assert.Contains("--dev: the sweeps are of different tasks or metrics (mrpc", stderr);
        (code, _, stderr) = Run("seeds", "--dev", Seeds("dev"), "--method", "dpbret");
        Assert.Equal(1, code);
        Assert.Contains("--method dpbret: no point of that method in the --dev sweeps", stderr);
    }
}
