using System.Security.Cryptography;
using System.Text;

namespace DpBert.Checkpoints;

/// <summary>Checks a downloaded file against the hub's size and ETag before it may enter the cache.</summary>
internal static class BlobVerification
{
    /// <summary>Null when <paramref name="path"/> matches; otherwise what is wrong.</summary>
    public static string? Problem(string path, HubFileMetadata expected)
    {
        long length = new FileInfo(path).Length;
        if (length != expected.Size) return $"{length} bytes downloaded, but the hub announced {expected.Size}";
        if (expected.IsSha256)
        {
            string actual = Hash(path, SHA256.Create(), prefix: null);
            return actual == expected.Etag ? null : $"sha256 {actual} does not match the hub's {expected.Etag}";
        }
        if (expected.IsGitSha1)
        {
            // A git blob id is sha1("blob <size>\0" + content).
            string actual = Hash(path, SHA1.Create(), Encoding.ASCII.GetBytes($"blob {length}\0"));
            return actual == expected.Etag ? null : $"git blob sha1 {actual} does not match the hub's ETag {expected.Etag}";
        }
        return null; // an ETag of another form says nothing checkable beyond the size
    }

    private static string Hash(string path, HashAlgorithm algorithm, byte[]? prefix)
    {
        using (algorithm)
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        {
            if (prefix is not null) algorithm.TransformBlock(prefix, 0, prefix.Length, null, 0);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = stream.Read(buffer)) > 0) algorithm.TransformBlock(buffer, 0, read, null, 0);
            algorithm.TransformFinalBlock([], 0, 0);
            return Convert.ToHexStringLower(algorithm.Hash!);
        }
    }
}
