using System.Diagnostics;
using System.Text.RegularExpressions;
using DpBert.TorchSharp.Native;
using TorchSharp;

namespace DpBert.TorchSharp.Tests;

/// <summary>
/// The Debian 12 fix, checked against binutils' <c>readelf</c> (an independent ELF reader): the version requirements read
/// here are readelf's, marking one weak changes exactly that flag, and in this process the fix applied exactly when this
/// system's libstdc++ lacks GLIBCXX_3.4.32 (readelf's list of its version definitions), after which the loaded wrapper is
/// weak and the symbol it needs is visible.
/// </summary>
public partial class LibStdCxxCompatibilityTests
{
    private static string Wrapper => LibStdCxxCompatibility.WrapperCandidates(Path.GetDirectoryName(typeof(torch).Assembly.Location)!).First();

    private static string Readelf(string path)
    {
        var start = new ProcessStartInfo("readelf") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-V", "--wide", path }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return text;
    }

    [GeneratedRegex(@"File: (\S+)\s+Cnt: \d+|Name: (\S+)\s+Flags: (\S+)")]
    private static partial Regex NeedLine();

    /// <summary>readelf's version needs: (library, version, weak).</summary>
    private static List<(string, string, bool)> ReadelfNeeds(string path)
    {
        string text = Readelf(path);
        var section = text[text.IndexOf("Version needs section", StringComparison.Ordinal)..];
        var result = new List<(string, string, bool)>();
        string library = "";
        foreach (Match m in NeedLine().Matches(section))
        {
            if (m.Groups[1].Success) library = m.Groups[1].Value;
            else result.Add((library, m.Groups[2].Value, m.Groups[3].Value.Contains("WEAK", StringComparison.Ordinal)));
        }
        return result;
    }

    [Fact]
    public void Version_needs_match_readelf()
    {
        var ours = ElfVersionNeeds.Read(Wrapper).Select(n => (n.Library, n.Version, n.IsWeak)).ToList();
        Assert.Contains(ours, n => n.Library == "libstdc++.so.6" && n.Version == "GLIBCXX_3.4.32");
        Assert.Equal(ReadelfNeeds(Wrapper), ours);
    }

    [Fact]
    public void Marking_weak_changes_only_that_flag_and_is_idempotent()
    {
        using var folder = new TempFolder();
        string copy = Path.Combine(folder.Path, LibStdCxxCompatibility.WrapperFileName);
        File.Copy(Wrapper, copy);
        // Start from the published state (flag not weak) whatever the build output holds.
        var need = ElfVersionNeeds.Read(copy).Single(n => n.Version == LibStdCxxCompatibility.Version);
        byte[] bytes = File.ReadAllBytes(copy);
        bytes[need.FlagsOffset] &= unchecked((byte)~ElfVersionNeeds.WeakFlag);
        File.WriteAllBytes(copy, bytes);
        Assert.Contains((LibStdCxxCompatibility.Library, LibStdCxxCompatibility.Version, false), ReadelfNeeds(copy));

        Assert.True(ElfVersionNeeds.MarkWeak(copy, LibStdCxxCompatibility.Library, LibStdCxxCompatibility.Version));
        var after = File.ReadAllBytes(copy);
        Assert.Equal(bytes.Length, after.Length);
        Assert.Equal([(int)need.FlagsOffset], Enumerable.Range(0, bytes.Length).Where(i => bytes[i] != after[i]));
        var expected = ReadelfNeeds(Wrapper).Select(n => n.Item2 == LibStdCxxCompatibility.Version ? (n.Item1, n.Item2, true) : n);
        Assert.Equal(expected, ReadelfNeeds(copy));
        Assert.False(ElfVersionNeeds.MarkWeak(copy, LibStdCxxCompatibility.Library, LibStdCxxCompatibility.Version));
    }

    [Fact]
    public void Files_that_do_not_fit_are_named_in_the_error()
    {
        using var folder = new TempFolder();
        string text = Path.Combine(folder.Path, "not-elf.so");
        File.WriteAllText(text, "definitely not an ELF file, but long enough to have a header of sixty-four bytes......");
        Assert.Contains("not-elf.so: not an ELF file", Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read(text)).Message);
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.MarkWeak(Wrapper, "libstdc++.so.6", "GLIBCXX_9.9"));
        Assert.Contains("needs no GLIBCXX_9.9 from libstdc++.so.6", e.Message);
        Assert.Contains("GLIBCXX_3.4.32", e.Message);
    }

    [Fact]
    public void The_fix_applied_exactly_when_libstdcxx_lacks_the_version_and_then_holds()
    {
        TorchSharpRuntime.Initialize();
        string libstdcxx = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 6)
            .Select(f => f[5]).First(p => Path.GetFileName(p).StartsWith("libstdc++.so", StringComparison.Ordinal));
        // Its version definitions end each line with "Name: <version>".
        bool provides = Regex.IsMatch(Readelf(libstdcxx), @"Name: GLIBCXX_3\.4\.32\s*$", RegexOptions.Multiline);
        var fix = TorchSharpRuntime.CompatibilityFix!;
        Assert.Equal(!provides, fix.Needed);
        Assert.Equal(provides, LibStdCxxCompatibility.SystemProvidesVersion());
        if (!fix.Needed) return;
        string loaded = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 6)
            .Select(f => f[5]).First(p => Path.GetFileName(p) == LibStdCxxCompatibility.WrapperFileName);
        Assert.Contains(fix.WeakWrappers, w => w == loaded);
        Assert.Contains((LibStdCxxCompatibility.Library, LibStdCxxCompatibility.Version, true), ReadelfNeeds(loaded));
        Assert.Empty(fix.Problems);
        using var x = torch.ones(3);
        Assert.Equal(3f, x.sum().item<float>());
    }
}
