using DpBert.Fuzz;
using SharpFuzz;

// The AFL harness and its helpers; run-campaign.sh drives it. Exit codes: 0 fine, 1 a contract violation or unexpected
// exception (replay), 2 usage.
return args switch
{
    ["list"] => List(),
    ["run", string target] => RunUnderAfl(FuzzTargets.Get(target)),
    ["seeds", string target, string folder] => WriteSeeds(FuzzTargets.Get(target), folder),
    ["replay", string target, .. var paths] when paths.Length > 0 => Replay(FuzzTargets.Get(target), paths),
    _ => Usage(),
};

static int List()
{
    foreach (var target in FuzzTargets.All) Console.WriteLine($"{target.Name,-22} {target.Description}");
    return 0;
}

// SharpFuzz's fork server: afl-fuzz feeds each input on standard input; an exception that escapes is a crash. The
// out-of-process server restarts the child after a crash or a hang, so one bad input does not end the campaign.
static int RunUnderAfl(FuzzTarget target)
{
    using var workspace = new FuzzWorkspace();
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), workspace);
    });
    return 0;
}

static int WriteSeeds(FuzzTarget target, string folder)
{
    Directory.CreateDirectory(folder);
    int count = 0;
    foreach (var seed in target.Seeds())
    {
        File.WriteAllBytes(Path.Combine(folder, seed.Name), seed.Bytes);
        count++;
    }
    Console.WriteLine($"{target.Name}: {count} seeds in {folder}");
    return 0;
}

// Runs files (or every file of folders) through a target outside AFL and says what the reader did: for triaging crashes.
static int Replay(FuzzTarget target, string[] paths)
{
    using var workspace = new FuzzWorkspace();
    int failures = 0;
    var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]);
    foreach (string file in files)
    {
        try
        {
            var outcome = target.Run(File.ReadAllBytes(file), workspace);
            Console.WriteLine($"{file}: {(outcome.IsAccepted ? "accepted" : "refused: " + outcome.Error!.Message.ReplaceLineEndings(" "))}");
        }
        catch (Exception e)
        {
            failures++;
            Console.WriteLine($"{file}: CONTRACT BROKEN: {e}");
        }
    }
    return failures == 0 ? 0 : 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: DpBert.Fuzz list | run <target> | seeds <target> <folder> | replay <target> <file|folder>...");
    return 2;
}
