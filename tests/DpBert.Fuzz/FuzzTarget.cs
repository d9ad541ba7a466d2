namespace DpBert.Fuzz;

/// <summary>
/// One reader under fuzzing and its contract: every input is either read (and what the reader returns is then used as
/// its callers use it) or refused with the reader's own typed error, whose message names the file. Anything else (another
/// exception type, an error that does not name the file, more memory than the input can justify, a crash or a hang) is
/// a bug. AFL runs <see cref="Run"/> through SharpFuzz; the corpus replay test runs it on every corpus file.
/// </summary>
public abstract class FuzzTarget
{
    /// <summary>Managed bytes a read may allocate whatever its input: tables, buffers, the JIT's first-call allocations.</summary>
    public const long BaseAllocationBudget = 64L << 20;

    /// <summary>Managed bytes a read may allocate per input byte (a tensor read twice, a zip entry inflated, strings as UTF-16).</summary>
    public const long AllocationPerInputByte = 64;

    /// <summary>The name used on the command line and as the corpus folder, e.g. <c>safetensors</c>.</summary>
    public abstract string Name { get; }

    /// <summary>What is fuzzed, in one line.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// The name the input is written under before the reader opens it (readers take paths; some look at the name), or
    /// null when the reader takes the bytes themselves.
    /// </summary>
    protected abstract string? FileName { get; }

    /// <summary>The part of the input that is the file (all of it, unless some leading bytes choose how the file is read).</summary>
    protected virtual ReadOnlySpan<byte> FileContent(ReadOnlySpan<byte> input) => input;

    /// <summary>Reads the input (at <paramref name="path"/> when <see cref="FileName"/> is set) and uses the result as a caller would.</summary>
    protected abstract void Read(ReadOnlySpan<byte> input, string path);

    /// <summary>True when <paramref name="error"/> is the reader's own typed error (its message is checked separately).</summary>
    protected abstract bool IsTypedError(Exception error);

    /// <summary>Initial inputs, from ../shared (goldens, GLUE rows) and the builders the tests use for fixtures.</summary>
    public abstract IEnumerable<FuzzSeed> Seeds();

    /// <summary>
    /// Runs one input. Returns whether the reader accepted it; throws <see cref="ReaderContractViolation"/> when the reader
    /// broke its contract, and lets any exception that is not the reader's typed error escape (AFL counts both as crashes).
    /// </summary>
    public FuzzOutcome Run(ReadOnlySpan<byte> input, FuzzWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        string path = FileName is null ? "" : workspace.Write(Name, FileName, FileContent(input));
        long before = GC.GetAllocatedBytesForCurrentThread();
        FuzzOutcome outcome;
        try
        {
            Read(input, path);
            outcome = FuzzOutcome.Accepted;
        }
        catch (Exception error) when (IsTypedError(error))
        {
            if (FileName is not null && !error.Message.Contains(path, StringComparison.Ordinal))
                throw new ReaderContractViolation($"{Name}: {error.GetType().Name} does not name the file {path}: {error.Message}", error);
            outcome = FuzzOutcome.Refused(error);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long budget = BaseAllocationBudget + AllocationPerInputByte * input.Length;
        if (allocated > budget)
            throw new ReaderContractViolation($"{Name}: reading {input.Length} bytes allocated {allocated} bytes " +
                $"(budget {budget}); {(outcome.IsAccepted ? "accepted" : "refused: " + outcome.Error!.Message)}");
        return outcome;
    }
}

/// <summary>What a reader did with one input: accepted it, or refused it with its typed error.</summary>
public sealed record FuzzOutcome(Exception? Error)
{
    /// <summary>The reader accepted the input.</summary>
    public static FuzzOutcome Accepted { get; } = new((Exception?)null);

    /// <summary>The reader refused the input with <paramref name="error"/>.</summary>
    public static FuzzOutcome Refused(Exception error) => new(error);

    /// <summary>True when the reader accepted the input.</summary>
    public bool IsAccepted => Error is null;
}

/// <summary>A reader broke its contract in a way that is not an exception of its own (an error that names no file, an unbounded allocation, a broken invariant).</summary>
public sealed class ReaderContractViolation(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An initial input: a name (kept as the corpus file name) and its bytes.</summary>
public sealed record FuzzSeed(string Name, byte[] Bytes);
