using DpBert.Bert;
using DpBert.Tokenization;

namespace DpBert.Training;

/// <summary>Writes a model folder plus method-specific files (planner, exit heads) in one atomic swap.</summary>
public static class ModelFolderWriter
{
    /// <summary>
    /// Writes the four model files of <paramref name="model"/>, copies of <paramref name="extraFiles"/> and whatever
    /// <paramref name="writeMore"/> adds, into <paramref name="folder"/>, atomically (<see cref="AtomicFolder"/>).
    /// </summary>
    public static void Write(string folder, BertForSequenceClassification model, BertTokenizer tokenizer, IEnumerable<string>? extraFiles, Action<string> writeMore)
    {
        AtomicFolder.Write(folder, temp =>
        {
            foreach (string file in extraFiles ?? []) File.Copy(file, Path.Combine(temp, Path.GetFileName(file)));
            TrainingCheckpoint.WriteModelFiles(temp, model.Config, model.Parameters, tokenizer);
            writeMore(temp);
        });
    }
}
