namespace DpBert.Cli;

/// <summary>Checks on output paths made before any work, so that a long run does not fail at its very end.</summary>
internal static class OutputPaths
{
    /// <summary><paramref name="path"/>, which must not be an existing file (an output folder).</summary>
    public static string Folder(string path, string flag) =>
        System.IO.File.Exists(path) ? throw new CliInputException($"{flag} {path}: is a file; give a folder") : path;

    /// <summary><paramref name="path"/>, which must not be an existing folder (an output file).</summary>
    public static string File(string path, string flag) =>
        Directory.Exists(path) ? throw new CliInputException($"{flag} {path}: is a folder; give a file name") : path;

    /// <summary>Refuses an output folder that is the input model's own folder (its checkpoint and log would be replaced).</summary>
    public static void NotTheModel(string output, string model)
    {
        if (string.Equals(Path.GetFullPath(output).TrimEnd('/'), Path.GetFullPath(model).TrimEnd('/'), StringComparison.Ordinal))
            throw new CliInputException($"--output {output}: is the input model's folder; write to another folder");
    }
}
