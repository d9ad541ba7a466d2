using System.Buffers.Binary;
using System.Text;

namespace DpBert.TorchSharp.Native;

/// <summary>One entry of an ELF shared object's <c>.gnu.version_r</c>: a symbol version it needs from a library.</summary>
/// <param name="Library">The library that must provide the version (<c>vn_file</c>, e.g. <c>libstdc++.so.6</c>).</param>
/// <param name="Version">The version name (<c>vna_name</c>, e.g. <c>GLIBCXX_3.4.32</c>).</param>
/// <param name="Flags">Its <c>vna_flags</c>; <see cref="ElfVersionNeeds.WeakFlag"/> set means a missing version is not an error.</param>
/// <param name="FlagsOffset">File offset of the 16-bit <c>vna_flags</c> field.</param>
public sealed record ElfVersionNeed(string Library, string Version, ushort Flags, long FlagsOffset)
{
    /// <summary>True when the dynamic linker tolerates the version being absent.</summary>
    public bool IsWeak => (Flags & ElfVersionNeeds.WeakFlag) != 0;
}

/// <summary>
/// Reads and edits the version requirements (<c>.gnu.version_r</c>, type <c>SHT_GNU_verneed</c>) of a 64-bit
/// little-endian ELF shared object, found through the section headers (no fixed offsets). Used to mark one
/// requirement weak (<c>VER_FLG_WEAK</c>), so a library built against a newer libstdc++ loads where that version
/// is absent but every symbol it actually uses is present (see <see cref="LibStdCxxCompatibility"/>).
/// </summary>
public static class ElfVersionNeeds
{
    /// <summary><c>VER_FLG_WEAK</c>.</summary>
    public const ushort WeakFlag = 0x2;
    private const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>Every version requirement of the ELF file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Not a 64-bit little-endian ELF file, or a table points outside the file; the message names the file.</exception>
    public static IReadOnlyList<ElfVersionNeed> Read(string path) => Read(File.ReadAllBytes(path), path);

    /// <summary>Every version requirement of an ELF image; <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyList<ElfVersionNeed> Read(ReadOnlySpan<byte> elf, string source)
    {
        var result = new List<ElfVersionNeed>();
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException($"{source}: not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException($"{source}: only 64-bit little-endian ELF files are supported (class {elf[4]}, data {elf[5]})");
        long shoff = (long)U64(elf, 0x28, source);
        int shentsize = U16(elf, 0x3A, source), shnum = U16(elf, 0x3C, source);
        if (shentsize < 64) throw new InvalidDataException($"{source}: section header size {shentsize} is below 64");
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (U32(elf, sh + 4, source) != ShtGnuVerneed) continue;
            long offset = (long)U64(elf, sh + 0x18, source), size = (long)U64(elf, sh + 0x20, source);
            int link = (int)U32(elf, sh + 0x28, source);
            if (link >= shnum) throw new InvalidDataException($"{source}: .gnu.version_r links to section {link} of {shnum}");
            long strtab = (long)U64(elf, shoff + (long)link * shentsize + 0x18, source);
            long strsize = (long)U64(elf, shoff + (long)link * shentsize + 0x20, source);
            // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
            // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
            long need = offset;
            for (int guard = 0; guard < 1 << 16; guard++)
            {
                if (need < offset || need + 16 > offset + size) throw new InvalidDataException($"{source}: .gnu.version_r entry at 0x{need:x} is outside the section");
                int count = U16(elf, need + 2, source);
                string library = String(elf, strtab, strsize, U32(elf, need + 4, source), source);
                long aux = need + U32(elf, need + 8, source);
                for (int j = 0; j < count; j++)
                {
                    string version = String(elf, strtab, strsize, U32(elf, aux + 8, source), source);
                    result.Add(new ElfVersionNeed(library, version, U16(elf, aux + 4, source), aux + 4));
                    uint nextAux = U32(elf, aux + 12, source);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(elf, need + 12, source);
                if (next == 0) break;
                need += next;
            }
        }
        return result;
    }

    /// <summary>
    /// Sets <see cref="WeakFlag"/> on the requirement of <paramref name="version"/> from <paramref name="library"/> in the
    /// file at <paramref name="path"/>. The file is rewritten atomically (a copy beside it, then renamed over it), so a
    /// process loading it sees the old or the new file, never half of one. Returns false when it was weak already.
    /// </summary>
    /// <exception cref="InvalidDataException">The file does not need that version; the message names the file and what it needs instead.</exception>
    public static bool MarkWeak(string path, string library, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        var needs = Read(elf, path);
        var entry = needs.FirstOrDefault(n => n.Library == library && n.Version == version)
            ?? throw new InvalidDataException($"{path}: needs no {version} from {library} (it needs {string.Join(", ", needs.Where(n => n.Library == library).Select(n => n.Version))})");
        if (entry.IsWeak) return false;
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan((int)entry.FlagsOffset), (ushort)(entry.Flags | WeakFlag));
        string temp = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllBytes(temp, elf);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, File.GetUnixFileMode(path));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return true;
    }

    private static ushort U16(ReadOnlySpan<byte> elf, long at, string source) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(elf, at, 2, source));
    private static uint U32(ReadOnlySpan<byte> elf, long at, string source) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(elf, at, 4, source));
    private static ulong U64(ReadOnlySpan<byte> elf, long at, string source) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(elf, at, 8, source));

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> elf, long at, int length, string source)
    {
        if (at < 0 || at + length > elf.Length) throw new InvalidDataException($"{source}: ELF field at 0x{at:x} is outside the file ({elf.Length} bytes)");
        return elf.Slice((int)at, length);
    }

    private static string String(ReadOnlySpan<byte> elf, long table, long tableSize, uint index, string source)
    {
        if (index >= tableSize) throw new InvalidDataException($"{source}: string index {index} is outside the string table ({tableSize} bytes)");
        long start = table + index;
        if (table < 0 || start >= elf.Length) throw new InvalidDataException($"{source}: string at 0x{start:x} is outside the file ({elf.Length} bytes)");
        var rest = elf.Slice((int)start, (int)Math.Min(tableSize - index, elf.Length - start));
        int end = rest.IndexOf((byte)0);
        if (end < 0) throw new InvalidDataException($"{source}: unterminated string at 0x{table + index:x}");
        return Encoding.ASCII.GetString(rest[..end]);
    }
}
