using System.CommandLine;
using DpBert.Checkpoints;
using DpBert.Glue;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert download glue --tasks sst2,rte</c> (the official GLUE files into <c>data/glue</c>) and
/// <c>dpbert download model ORG/NAME</c> (a Hugging Face model into the shared hub cache; prints its folder).
/// </summary>
internal static class DownloadCommand
{
    public static Command Create() => new("download", "Download GLUE data or a Hugging Face model (needs network access).") { Glue(), Model() };

    private static Command Glue()
    {
        var tasks = new Option<string>("--tasks") { Description = "Comma-separated tasks (cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli) or all.", Required = true };
        var output = new Option<string>("--output") { Description = "Folder for the glue_data layout.", DefaultValueFactory = _ => GlueDataFolder.DefaultRelativePath };
        var baseUrl = new Option<string?>("--base-url") { Description = $"A mirror serving every file under one URL (default: ${GlueDownloadOptions.BaseUrlVariable}, else the official URLs)." };
        var sha256 = new Option<string[]>("--sha256") { Description = "Expected hash of a downloaded file, as FILE=HEX (e.g. SST-2.zip=3f2a...); repeatable.", AllowMultipleArgumentsPerToken = true };
        var force = new Option<bool>("--force") { Description = "Replace task folders that already exist." };
        var command = new Command("glue", "Download the GLUE tasks and unpack them in the glue_data/<TASK>/ layout.") { tasks, output, baseUrl, sha256, force };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var selected = ParseTasks(parse.GetValue(tasks)!);
            var options = new GlueDownloadOptions
            {
                BaseUrl = parse.GetValue(baseUrl) ?? NonEmpty(Environment.GetEnvironmentVariable(GlueDownloadOptions.BaseUrlVariable)),
                Sha256 = ParseHashes(parse.GetValue(sha256) ?? []),
                Force = parse.GetValue(force),
            };
            string folder = Path.GetFullPath(parse.GetValue(output)!);
            var progress = new DownloadProgressLine(stderr);
            IReadOnlyList<GlueDownloadResult> results;
            try { results = new GlueDownloader(options).Download(selected, folder, progress); }
            catch (HttpRequestException e) { throw new CliInputException($"download failed: {e.Message}"); }
            finally { progress.Finish(); }
            foreach (var r in results)
                stdout.WriteLine(r.AlreadyPresent ? $"{r.Task.Name}: {r.Folder} already present (kept; --force replaces it)" : $"{r.Task.Name}: {r.Folder}");
            if (Path.GetFullPath(GlueDataFolder.DefaultRelativePath) != folder)
                stdout.WriteLine($"use it with --data-dir {folder} or GLUE_DIR={folder}");
            return 0;
        });
        return command;
    }

    private static Command Model()
    {
        var id = new Argument<string>("model") { Description = "Hugging Face model id, e.g. bert-base-uncased or google/bert_uncased_L-4_H-256_A-4." };
        var revision = new Option<string>("--revision") { Description = "Branch, tag or commit.", DefaultValueFactory = _ => "main" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Hub cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)." };
        var endpoint = new Option<string?>("--endpoint") { Description = "Hub URL (default: $HF_ENDPOINT, else https://huggingface.co)." };
        var command = new Command("model", "Download a model's config, tokenizer and weights into the Hugging Face cache; prints its folder.") { id, revision, cacheDir, endpoint };
        command.SetAction(parse =>
        {
            string repo = parse.GetValue(id)!;
            if (Directory.Exists(repo))
                throw new CliInputException($"{repo}: is a local folder; download model takes a Hugging Face model id (a folder is used as it is by --model)");
            var hub = HubOptions.FromEnvironment();
            if (parse.GetValue(cacheDir) is { } cache) hub = hub with { CacheDirectory = Path.GetFullPath(cache) };
            if (parse.GetValue(endpoint) is { } url) hub = hub with { Endpoint = url.TrimEnd('/') };
            var progress = new DownloadProgressLine(parse.InvocationConfiguration.Error);
            string folder;
            try { folder = ModelSource.ResolveFolder(repo, hub, progress, parse.GetValue(revision)!); }
            finally { progress.Finish(); }
            parse.InvocationConfiguration.Output.WriteLine(folder);
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<GlueTask> ParseTasks(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new CliInputException("--tasks is empty; name tasks (e.g. sst2,rte) or all");
        if (names.Any(n => n.Equals("all", StringComparison.OrdinalIgnoreCase))) return GlueTask.All;
        return names.Select(n => GlueTask.TryFromName(n, out var task) ? task
            : throw new CliInputException($"--tasks: unknown GLUE task '{n}'; valid: {string.Join(", ", GlueTask.All.Select(t => t.Name))}, all")).ToList();
    }

    private static Dictionary<string, string> ParseHashes(string[] values)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string value in values)
        {
            int eq = value.IndexOf('=', StringComparison.Ordinal);
            string hex = eq > 0 ? value[(eq + 1)..].Trim() : "";
            if (hex.Length != 64 || !hex.All(Uri.IsHexDigit)) throw new CliInputException($"--sha256 {value}: expected FILE=<64 hex digits>");
            hashes[value[..eq].Trim()] = hex;
        }
        return hashes;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
