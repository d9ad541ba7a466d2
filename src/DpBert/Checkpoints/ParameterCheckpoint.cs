using DpBert.Bert;

namespace DpBert.Checkpoints;

/// <summary>
/// Loads a <see cref="ParameterSet"/> from a checkpoint (safetensors or <c>pytorch_model.bin</c>) by Hugging Face key, and saves
/// one. Loading is all-or-nothing: every key is matched and checked first, and values are copied
/// only when the whole checkpoint fits, so a failed load leaves the parameters as they were.
/// </summary>
public static class ParameterCheckpoint
{
    /// <summary>Most problems listed in one error message; the rest are counted.</summary>
    private const int MaxProblemsListed = 20;

    /// <summary>
    /// Opens <paramref name="path"/> (safetensors, or a <c>torch.save</c> zip such as <c>pytorch_model.bin</c>; see
    /// <see cref="CheckpointFile.Open"/>) and loads it (see <see cref="Load(ParameterSet, ICheckpointTensors, ParameterLoadOptions?)"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed or does not fit the parameters; the message names the file and every bad key.</exception>
    public static ParameterLoadReport Load(ParameterSet parameters, string path, ParameterLoadOptions? options = null)
    {
        using var file = CheckpointFile.Open(path);
        return Load(parameters, file, options);
    }

    /// <summary>
    /// Fills <paramref name="parameters"/> from <paramref name="file"/>. Every parameter must be
    /// present with exactly its shape (unless <see cref="ParameterLoadOptions.AllowMissing"/> says
    /// otherwise) and every checkpoint key must map to a parameter (unless it matches
    /// <see cref="ParameterLoadOptions.IgnoredKeys"/>). Legacy <c>LayerNorm.gamma</c>/<c>beta</c> and keys
    /// without the <c>bert.</c> prefix are accepted. F16, BF16 and F64 tensors are converted to float32.
    /// </summary>
    /// <returns>Which keys were loaded, missing, ignored and renamed.</returns>
    /// <exception cref="InvalidDataException">
    /// The checkpoint does not fit: missing or unexpected keys, wrong shapes, non-float dtypes, or two
    /// keys for one parameter. The message names the file and lists every problem with its key; the
    /// parameters are unchanged.
    /// </exception>
    public static ParameterLoadReport Load(ParameterSet parameters, ICheckpointTensors file, ParameterLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(file);
        options ??= ParameterLoadOptions.Default;

        var sources = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal); // parameter key -> tensor
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        var ignored = new List<string>();
        var problems = new List<string>();
        var reshaped = new List<string>();

        foreach (var tensor in file.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            string? key = CheckpointKeys.FindParameter(tensor.Name, parameters.Contains);
            if (key is null)
            {
                if (options.IsIgnored(tensor.Name)) ignored.Add(tensor.Name);
                else problems.Add($"unexpected key \"{tensor.Name}\" {tensor.ShapeText}: the model has no such parameter");
                continue;
            }
            string named = key == tensor.Name ? $"key \"{key}\"" : $"key \"{tensor.Name}\" (parameter \"{key}\")";
            if (sources.TryGetValue(key, out var earlier))
            {
                problems.Add($"keys \"{earlier.Name}\" and \"{tensor.Name}\" both hold parameter \"{key}\"");
                continue;
            }
            var info = parameters.Info(key);
            if (!tensor.HasShape(info.Shape) && options.AllowShapeMismatch?.Invoke(key) == true)
            {
                reshaped.Add($"{key}: {tensor.ShapeText} in the checkpoint, {info.ShapeText} in the model");
                continue;
            }
            if (!tensor.HasShape(info.Shape))
                problems.Add($"{named}: shape {tensor.ShapeText} in the file, but the model expects {info.ShapeText}");
            else if (!tensor.Dtype.ConvertsToFloat32())
                problems.Add($"{named}: dtype {tensor.Dtype.HeaderName()} is not a floating-point type that converts to float32");
            sources.Add(key, tensor);
            if (key != tensor.Name) renamed.Add(tensor.Name, key);
        }

        var missing = new List<string>();
        foreach (var p in parameters.Parameters)
        {
            if (sources.ContainsKey(p.Name)) continue;
            if (options.AllowMissing?.Invoke(p.Name) == true || options.AllowShapeMismatch?.Invoke(p.Name) == true) missing.Add(p.Name);
            else problems.Add($"missing key \"{p.Name}\" {p.ShapeText}: the checkpoint has no such tensor");
        }

        if (problems.Count > 0)
        {
            var listed = problems.Take(MaxProblemsListed).Select(p => "\n  " + p);
            string more = problems.Count > MaxProblemsListed ? $"\n  ... and {problems.Count - MaxProblemsListed} more" : "";
            throw new InvalidDataException(
                $"{file.Path}: checkpoint does not fit the model ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):{string.Concat(listed)}{more}");
        }

        var loaded = new List<string>();
        foreach (var p in parameters.Parameters)
        {
            if (!sources.TryGetValue(p.Name, out var tensor)) continue;
            file.CopyToFloat32(tensor.Name, parameters.Span(p));
            loaded.Add(p.Name);
        }
        parameters.MarkChanged();
        return new ParameterLoadReport(file.Path, loaded, missing, ignored, renamed) { ShapeMismatches = reshaped };
    }

    /// <summary>
    /// Saves every parameter as F32 under its Hugging Face key, atomically (see <see cref="SafetensorsWriter"/>).
    /// The metadata holds <c>{"format": "pt"}</c> plus <paramref name="metadata"/>.
    /// </summary>
    public static void Save(ParameterSet parameters, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var writer = new SafetensorsWriter();
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>()) writer.Metadata[key] = value;
        writer.Add(parameters);
        writer.Save(path);
    }
}
