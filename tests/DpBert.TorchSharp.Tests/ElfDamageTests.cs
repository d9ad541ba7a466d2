using DpBert.TorchSharp.Native;
using TorchSharp;

namespace DpBert.TorchSharp.Tests;

/// <summary>The ELF reader on damaged copies of the wrapper: a truncated or corrupted file is an <see cref="InvalidDataException"/> naming it, never a crash.</summary>
public class ElfDamageTests
{
    [Fact]
    public void Truncated_and_corrupted_files_give_a_clear_error_or_a_result()
    {
        string wrapper = LibStdCxxCompatibility.WrapperCandidates(Path.GetDirectoryName(typeof(torch).Assembly.Location)!).First();
        byte[] original = File.ReadAllBytes(wrapper);
        var need = ElfVersionNeeds.Read(original, "wrapper").First();
        var rng = new Random(14);
        int errors = 0, results = 0;
        void Try(byte[] image)
        {
            try { ElfVersionNeeds.Read(image, "damaged.so"); results++; }
            catch (InvalidDataException e) { Assert.StartsWith("damaged.so: ", e.Message, StringComparison.Ordinal); errors++; }
        }
        foreach (int length in new[] { 0, 3, 63, 64, 1000, (int)need.FlagsOffset, original.Length / 2, original.Length - 1 })
            Try(original.AsSpan(0, length).ToArray());
        // Corrupt the bytes that steer the reader: the ELF header, the section header table and the version section.
        long sectionHeaders = BitConverter.ToInt64(original, 0x28);
        for (int i = 0; i < 300; i++)
        {
            var image = (byte[])original.Clone();
            for (int j = 0; j < 1 + rng.Next(4); j++)
            {
                long at = rng.Next(3) switch
                {
                    0 => rng.Next(64),
                    1 => sectionHeaders + rng.Next((int)Math.Min(int.MaxValue, original.Length - sectionHeaders)),
                    _ => need.FlagsOffset - 0x40 + rng.Next(0x200),
                };
                image[at] = (byte)rng.Next(256);
            }
            Try(image);
        }
        Assert.True(errors > 0 && results > 0, $"{errors} errors, {results} results");
    }
}
