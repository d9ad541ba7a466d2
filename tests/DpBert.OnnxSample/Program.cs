using System.Globalization;
using DpBert.OnnxSample;

// dotnet run --project tests/DpBert.OnnxSample -- <dpbert.onnx> <vocab.txt> [--theta T] "a sentence" ["another" ...]
// Runs an exported DPBERT graph with ONNX Runtime and Microsoft.ML.Tokenizers alone, and prints each label with its plan.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: DpBert.OnnxSample <dpbert.onnx> <vocab.txt> [--theta T] \"text\" [\"text\" ...]");
    return 2;
}
float? theta = null;
var texts = new List<string>();
for (int i = 2; i < args.Length; i++)
{
    if (args[i] == "--theta" && i + 1 < args.Length) theta = float.Parse(args[++i], CultureInfo.InvariantCulture);
    else texts.Add(args[i]);
}
using var classifier = new DpBertOnnxClassifier(args[0], args[1]);
foreach (var p in classifier.Classify(texts, theta))
    Console.WriteLine($"{p.Label,-10} plan {string.Concat(p.Plan.Select(run => run ? '1' : '0'))} ({p.Plan.Count(run => run)} of {p.Plan.Length} layers)  {p.Text}");
return 0;
