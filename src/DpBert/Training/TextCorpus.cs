using DpBert.Glue;

namespace DpBert.Training;

/// <summary>Plain-text sentences for masked-LM pre-training.</summary>
public static class TextCorpus
{
    /// <summary>One sentence or document per line; blank lines are skipped.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static List<string> ReadLines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"corpus file not found: {path}", path);
        return File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => l.Trim()).ToList();
    }

    /// <summary>
    /// The sentences of the GLUE training sets present under the data folder (labels unused; dev and test sets
    /// are left out so evaluation stays clean), in task order. Pair tasks contribute both segments.
    /// </summary>
    /// <param name="dataDir">The GLUE folder (default: <c>$GLUE_DIR</c>, then <c>data/glue</c>).</param>
    /// <param name="tasks">Only these tasks (e.g. a task's own text for task-adaptive pre-training), each of which must
    /// have its training file; default: every task whose training file is present.</param>
    /// <exception cref="FileNotFoundException">No training file at all, or a named task's is missing; the message names the path.</exception>
    public static List<string> GlueTrainingSentences(string? dataDir = null, IReadOnlyList<GlueTask>? tasks = null)
    {
        var sentences = new List<string>();
        string folder = GlueDataFolder.Resolve(dataDir);
        foreach (var task in tasks ?? GlueTask.All)
        {
            var split = task.Splits.FirstOrDefault(s => s.Name == "train");
            string? path = split is null ? null : Path.Combine(folder, task.FolderName, split.FileName);
            if (tasks is not null && (path is null || !File.Exists(path))) throw new FileNotFoundException($"{task.Name}: no training file ({path ?? "the task has no train split"})", path);
            if (path is null || !File.Exists(path)) continue;
            foreach (var e in GlueDataset.Load(task, "train", folder))
            {
                sentences.Add(e.TextA.Trim());
                if (e.TextB is not null) sentences.Add(e.TextB.Trim());
            }
        }
        if (sentences.Count == 0) throw new FileNotFoundException($"no GLUE training files under {folder}");
        return sentences;
    }
}
