using System.IO.Compression;
using System.Text;

namespace PoisonRange.Data.Tests;

/// <summary>A temporary directory for files written by a test; deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "poisonrange-data-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string name, string content, bool gzip = false)
    {
        var path = System.IO.Path.Combine(Path, name);
        var bytes = Encoding.UTF8.GetBytes(content);
        if (gzip)
        {
            using var file = File.Create(path);
            using var gz = new GZipStream(file, CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }
        return path;
    }

    public string File_(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class Helpers
{
    /// <summary>Each user's sequence as external ids: "user: i1 i2 ...".</summary>
    public static Dictionary<string, string[]> ExternalSequences(InteractionDataset d)
    {
        var result = new Dictionary<string, string[]>();
        for (int u = 0; u < d.UserCount; u++)
            result[d.UserIds[u]] = d.Sequences[u].Select(i => d.ItemIds[i]).ToArray();
        return result;
    }

    public static int[] Seq(InteractionDataset d, string user)
    {
        Assert.True(d.TryGetUser(user, out int u), $"user {user} missing");
        return d.Sequences[u];
    }

    public static string[] ExtSeq(InteractionDataset d, string user) => Seq(d, user).Select(i => d.ItemIds[i]).ToArray();

    /// <summary>The repository root (the folder holding Microservices.sln), found by walking up from the test binaries.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Microservices.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No Microservices.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>The shared real-data directory (../shared/data next to the repository). Fails, never skips, when absent.</summary>
    public static string DataDir()
    {
        var dir = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot(), "..", "shared", "data"));
        Assert.True(Directory.Exists(dir), $"The real-data directory {dir} is missing; these tests need it.");
        return dir;
    }
}
