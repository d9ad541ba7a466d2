using System.Text.Json;
using DpBert.Bert;
using DpBert.Checkpoints;

namespace DpBert.OnnxExport.Tests;

/// <summary>The shared references beside the clone: the Hugging Face golden model and GLUE (<c>../shared</c>).</summary>
internal static class SharedFiles
{
    public static string Folder => GoldenFiles.SharedFolder;

    public static string GoldenModelFolder => Path.Combine(Folder, "golden", "bert-tiny-a");

    /// <summary>GLUE in the official layout beside the goldens (as the main test project reads it; CI's GLUE_DIR is relative to the clone).</summary>
    public static string GlueFolder => Path.Combine(Folder, "glue");

    public static LoadedModel LoadGoldenModel() => ModelFolder.LoadSequenceClassifier(GoldenModelFolder);

    /// <summary>Each batch of <c>golden.json</c> with the logits Hugging Face computed for it.</summary>
    public static IEnumerable<(string Name, BertBatch Batch, float[] Logits)> GoldenBatches()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenModelFolder, "golden.json")));
        foreach (var b in golden.RootElement.GetProperty("batches").EnumerateArray())
        {
            int[][] Rows(string key) => b.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
            var batch = BertBatch.FromRows(Rows("input_ids"), Rows("token_type_ids"), Rows("attention_mask"));
            var logits = b.GetProperty("logits").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
            yield return (b.GetProperty("name").GetString()!, batch, logits);
        }
    }
}
