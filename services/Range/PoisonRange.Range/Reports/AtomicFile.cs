using System.Text;

namespace PoisonRange.Range.Reports;

/// <summary>Writes files whole or not at all: to a temporary file beside the target, then renamed over it.</summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static void WriteAllText(string path, string contents) =>
        Write(path, stream =>
        {
            var bytes = Utf8NoBom.GetBytes(contents);
            stream.Write(bytes, 0, bytes.Length);
        });

    /// <summary>Calls <paramref name="write"/> with a stream on a temporary file; renames it to <paramref name="path"/> when it returns.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
