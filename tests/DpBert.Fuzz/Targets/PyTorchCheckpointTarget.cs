using DpBert.Checkpoints;
using DpBert.Tests.Checkpoints;

namespace DpBert.Fuzz.Targets;

/// <summary>
/// <c>pytorch_model.bin</c> through <see cref="CheckpointFile.Open"/> (as <see cref="ParameterCheckpoint"/> opens it):
/// the zip of PyTorch 1.6 and later, or the legacy stream of pickles, both read by the restricted unpickler; then every
/// floating-point tensor converted to float32. Typed error: <see cref="InvalidDataException"/> naming the file. The two
/// formats are two campaigns of the same reader, each seeded with its own format.
/// </summary>
public sealed class PyTorchCheckpointTarget(string name, bool legacy) : FuzzTarget
{
    public override string Name => name;

    public override string Description => legacy
        ? "pytorch_model.bin, legacy torch.save stream of pickles: CheckpointFile.Open, every float tensor read"
        : "pytorch_model.bin, torch.save zip: CheckpointFile.Open, every float tensor read";

    protected override string FileName => CheckpointFile.PyTorchWeightsFileName;

    protected override void Read(ReadOnlySpan<byte> input, string path)
    {
        using var file = CheckpointFile.Open(path);
        foreach (var tensor in file.Tensors)
            if (tensor.Dtype.ConvertsToFloat32()) file.CopyToFloat32(tensor.Name, new float[tensor.ElementCount]);
    }

    protected override bool IsTypedError(Exception error) => error is InvalidDataException;

    public override IEnumerable<FuzzSeed> Seeds()
    {
        // Small tensors of the golden model (the golden .bin itself is larger than AFL's 1 MB input limit), saved the way
        // torch.save saves them by the tests' builder, in the layouts a state dict holds.
        using var golden = SafetensorsFile.Open(Path.Combine(SeedFiles.TinyModelFolder, "model.safetensors"));
        var small = golden.Tensors.Where(t => t.ElementCount <= 64).Take(3).Select(t => (t.Name, Values: golden.ReadFloat32(t.Name))).ToArray();
        var matrix = golden.Tensors.First(t => t.Shape.Count == 2 && t.ElementCount <= 256);
        float[] matrixValues = golden.ReadFloat32(matrix.Name);

        var plain = new TorchZipBuilder();
        foreach (var (tensorName, values) in small) plain.AddFloat32(tensorName, [values.Length], values);
        yield return Seed("golden-f32", plain);

        var halves = new TorchZipBuilder()
            .AddFloat16("half", [small[0].Values.Length], small[0].Values)
            .AddBFloat16("bf16", [2, small[1].Values.Length / 2], small[1].Values);
        yield return Seed("golden-f16-bf16", halves);

        // A transposed view, a view at an offset, and an int64 buffer whose storage two keys share.
        long rows = matrix.Shape[0], columns = matrix.Shape[1];
        byte[] matrixBytes = golden.GetBytes(matrix).ToArray();
        byte[] positions = [.. Enumerable.Range(0, 8).SelectMany(i => BitConverter.GetBytes((long)i))];
        var views = new TorchZipBuilder()
            .AddRaw("transposed", "FloatStorage", 4, matrixBytes, [columns, rows], [1, columns], 0, rows * columns)
            .AddRaw("row_1", "FloatStorage", 4, matrixBytes, [columns], [1], columns, rows * columns)
            .AddRaw("position_ids", "LongStorage", 8, positions, [1, 8], [0, 1], 0, 8);
        yield return Seed("views-offsets-int64", views);
        yield return Seed("matrix", new TorchZipBuilder().AddFloat32(matrix.Name, [rows, columns], matrixValues));
    }

    private FuzzSeed Seed(string seedName, TorchZipBuilder builder) =>
        new(seedName, SeedFiles.Built(path => { if (legacy) builder.SaveLegacy(path); else builder.Save(path); }));
}
