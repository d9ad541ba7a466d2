// Placeholder entry point so the solution builds; the benchmarks replace it.
Console.Error.WriteLine("DpBert.Benchmarks: no benchmarks yet");
return 1;
