using DpBert.Benchmarks;

// dotnet run -c Release --project tests/DpBert.Benchmarks -- [gemm|bert|tokenizer|all] [options]
return BenchmarkProgram.Run(args);
