using DpBert.Glue;

namespace DpBert.Tests.Glue;

/// <summary>
/// Where the GLUE data is looked for: explicit folder, then GLUE_DIR, then data/glue under the current directory.
/// The rule is tested through its explicit-input form, so no test changes the process environment or directory.
/// </summary>
public sealed class GlueDataFolderTests
{
    [Fact]
    public void Explicit_folder_wins_over_glue_dir_and_default()
    {
        using var explicitFolder = new TempFolder();
        using var glueDir = new TempFolder();
        using var workingDirectory = new TempFolder();
        Directory.CreateDirectory(Path.Combine(workingDirectory.Path, "data", "glue"));

        Assert.Equal(explicitFolder.Path, GlueDataFolder.Resolve(explicitFolder.Path, glueDir.Path, workingDirectory.Path));
        Assert.Equal(glueDir.Path, GlueDataFolder.Resolve(null, glueDir.Path, workingDirectory.Path));
        Assert.Equal(Path.Combine(workingDirectory.Path, "data", "glue"), GlueDataFolder.Resolve(null, null, workingDirectory.Path));
        Assert.Equal(Path.Combine(workingDirectory.Path, "data", "glue"), GlueDataFolder.Resolve("  ", "", workingDirectory.Path));
    }

    [Fact]
    public void Relative_folders_are_relative_to_the_current_directory()
    {
        using var workingDirectory = new TempFolder();
        Directory.CreateDirectory(Path.Combine(workingDirectory.Path, "my-glue"));
        Assert.Equal(Path.Combine(workingDirectory.Path, "my-glue"), GlueDataFolder.Resolve("my-glue", null, workingDirectory.Path));
        Assert.Equal(Path.Combine(workingDirectory.Path, "my-glue"), GlueDataFolder.Resolve(null, "my-glue", workingDirectory.Path));
    }

    [Fact]
    public void Missing_explicit_folder_is_an_error_even_when_glue_dir_exists()
    {
        using var glueDir = new TempFolder();
        using var workingDirectory = new TempFolder();
        string missing = Path.Combine(workingDirectory.Path, "no-such-folder");
        var error = Assert.Throws<DirectoryNotFoundException>(() => GlueDataFolder.Resolve(missing, glueDir.Path, workingDirectory.Path));
        Assert.Contains($"looked in {missing} (from the dataDir argument)", error.Message);
        Assert.Contains("dpbert download glue", error.Message);
        Assert.Contains("GLUE_DIR", error.Message);
    }

    [Fact]
    public void Missing_glue_dir_says_it_came_from_the_environment_variable()
    {
        using var workingDirectory = new TempFolder();
        string missing = Path.Combine(workingDirectory.Path, "glue_data");
        var error = Assert.Throws<DirectoryNotFoundException>(() => GlueDataFolder.Resolve(null, missing, workingDirectory.Path));
        Assert.Contains($"looked in {missing} (from the GLUE_DIR environment variable)", error.Message);
    }

    [Fact]
    public void Missing_default_folder_says_where_it_looked_and_how_to_get_data()
    {
        using var workingDirectory = new TempFolder();
        var error = Assert.Throws<DirectoryNotFoundException>(() => GlueDataFolder.Resolve(null, null, workingDirectory.Path));
        Assert.Equal(
            $"GLUE data folder not found: looked in {Path.Combine(workingDirectory.Path, "data", "glue")} " +
            "(from the default data/glue under the current directory; GLUE_DIR is not set). " +
            "Get the data with `dpbert download glue --tasks cola,sst2,mrpc,stsb,qqp,mnli,qnli,rte,wnli` (or --tasks all; it writes data/glue), " +
            "or point the GLUE_DIR environment variable " +
            "(or the dataDir argument) at a folder in the glue_data/<TASK>/ layout, e.g. CoLA/train.tsv, SST-2/dev.tsv.",
            error.Message);
    }

    [Fact]
    public void Load_with_a_missing_data_folder_fails_before_reading_anything()
    {
        using var workingDirectory = new TempFolder();
        var error = Assert.Throws<DirectoryNotFoundException>(() =>
            GlueDataset.Load(GlueTask.Cola, "dev", Path.Combine(workingDirectory.Path, "absent")));
        Assert.Contains("dpbert download glue", error.Message);
    }

    [Fact]
    public void Missing_task_file_names_the_file_and_the_data_folder()
    {
        var error = Assert.Throws<FileNotFoundException>(() => GlueDataset.Load(GlueTask.Qqp, "dev", SharedGlueData.Folder));
        Assert.Contains($"GLUE qqp dev: {Path.Combine(SharedGlueData.Folder, "QQP", "dev.tsv")} not found (data folder {SharedGlueData.Folder})", error.Message);
        Assert.Contains("dpbert download glue", error.Message);
        Assert.Equal(Path.Combine(SharedGlueData.Folder, "QQP", "dev.tsv"), error.FileName);
    }

    [Fact]
    public void File_of_a_split_follows_the_glue_data_layout()
    {
        Assert.Equal(Path.Combine(SharedGlueData.Folder, "SST-2", "dev.tsv"),
            GlueDataFolder.FileOf(GlueTask.Sst2, GlueTask.Sst2.Split("dev"), SharedGlueData.Folder));
    }
}
