namespace DpBert.Benchmarks;

/// <summary>Tokenizer throughput (filled in when the tokenizer lands).</summary>
internal static class TokenizerBenchmark
{
    public static void Run() => Console.WriteLine("tokenizer benchmark: pending");
}
