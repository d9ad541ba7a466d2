namespace DpBert.Glue;

/// <summary>The files <c>download_glue_data.py</c> fetches for each task.</summary>
internal static class GlueArchives
{
    public const string MrpcTrainFile = "msr_paraphrase_train.txt";
    public const string MrpcTestFile = "msr_paraphrase_test.txt";
    public const string MrpcDevIdsFile = "mrpc_dev_ids.tsv";

    /// <summary>The zip of a task (whose top folder is the task's <see cref="GlueTask.FolderName"/>), or null for MRPC, which comes as text files.</summary>
    public static string? ArchiveOf(GlueTask task) => task.Name switch
    {
        "cola" => "CoLA.zip",
        "sst2" => "SST-2.zip",
        "stsb" => "STS-B.zip",
        "qqp" => "QQP-clean.zip",
        "mnli" => "MNLI.zip",
        "qnli" => "QNLIv2.zip",
        "rte" => "RTE.zip",
        "wnli" => "WNLI.zip",
        "mrpc" => null,
        _ => throw new ArgumentException($"no download for GLUE task {task.Name}", nameof(task)),
    };

    /// <summary>The files a usable task folder must have: those of the labelled splits (train and dev).</summary>
    public static IEnumerable<string> RequiredFiles(GlueTask task) => task.Splits.Where(s => s.HasGold).Select(s => s.FileName);
}
