namespace DpBert.Glue;

/// <summary>
/// Finds the folder that holds the GLUE data in the official <c>glue_data/&lt;TASK&gt;/</c> layout
/// (<c>CoLA/train.tsv</c>, <c>SST-2/dev.tsv</c>, ...). The first source that is given wins: an explicit folder,
/// else the <c>GLUE_DIR</c> environment variable, else <c>data/glue</c> under the current directory.
/// </summary>
public static class GlueDataFolder
{
    /// <summary>The conventional environment variable naming the GLUE data folder.</summary>
    public const string EnvironmentVariable = "GLUE_DIR";

    /// <summary>The folder, relative to the current directory, used when neither a folder nor <c>GLUE_DIR</c> is given.</summary>
    public static string DefaultRelativePath { get; } = Path.Combine("data", "glue");

    /// <summary>How to get the data, appended to every "not found" message.</summary>
    internal const string HowToGetData =
        "Get the data with `dpbert download glue --tasks cola,sst2,mrpc,stsb,qqp,mnli,qnli,rte,wnli` (or --tasks all; it writes data/glue), or point the GLUE_DIR environment variable " +
        "(or the dataDir argument) at a folder in the glue_data/<TASK>/ layout, e.g. CoLA/train.tsv, SST-2/dev.tsv.";

    /// <summary>
    /// The full path of the GLUE data folder: <paramref name="dataDir"/> when given, else <c>GLUE_DIR</c> when set,
    /// else <c>data/glue</c> under the current directory.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The chosen folder does not exist; the message says where it looked and how to get the data.</exception>
    public static string Resolve(string? dataDir = null) =>
        Resolve(dataDir, Environment.GetEnvironmentVariable(EnvironmentVariable), Directory.GetCurrentDirectory());

    /// <summary>The full path of the file of <paramref name="split"/> of <paramref name="task"/> under the resolved data folder.</summary>
    /// <exception cref="DirectoryNotFoundException">The data folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder exists but lacks the file; the message names it and says how to get the data.</exception>
    public static string FileOf(GlueTask task, GlueSplit split, string? dataDir = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(split);
        string folder = Resolve(dataDir);
        string path = Path.Combine(folder, task.FolderName, split.FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"GLUE {task.Name} {split.Name}: {path} not found (data folder {folder}). Get it with `dpbert download glue --tasks {task.Name}`. {HowToGetData}", path);
        }
        return path;
    }

    /// <summary>The resolution rule with its inputs explicit, so it can be tested without touching process state.</summary>
    internal static string Resolve(string? dataDir, string? glueDirVariable, string currentDirectory)
    {
        (string folder, string source) =
            !string.IsNullOrWhiteSpace(dataDir) ? (dataDir, "the dataDir argument")
            : !string.IsNullOrWhiteSpace(glueDirVariable) ? (glueDirVariable, $"the {EnvironmentVariable} environment variable")
            : (Path.Combine(currentDirectory, DefaultRelativePath), $"the default data/glue under the current directory; {EnvironmentVariable} is not set");

        string fullPath = Path.GetFullPath(folder, currentDirectory);
        if (!Directory.Exists(fullPath))
            throw new DirectoryNotFoundException($"GLUE data folder not found: looked in {fullPath} (from {source}). {HowToGetData}");
        return fullPath;
    }
}
