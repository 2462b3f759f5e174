using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace PoisonRange.Data;

/// <summary>Writes datasets in a form <see cref="DatasetLoader"/> reads back.</summary>
public static class DatasetWriter
{
    /// <summary>
    /// Writes a tab-separated file with the header <c>user_id item_id [rating] [timestamp_ms]</c>
    /// (rating and timestamp columns only when the dataset has them), one row per interaction,
    /// users in internal-id order and each sequence in order. The file is written to a temporary
    /// file in the same directory and then renamed over <paramref name="path"/>, so readers never
    /// see a half-written file. A path ending in <c>.gz</c> is gzip-compressed.
    /// </summary>
    public static void WriteDelimited(InteractionDataset dataset, string path)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        foreach (var id in dataset.UserIds) CheckId(id, "user");
        foreach (var id in dataset.ItemIds) CheckId(id, "item");

        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Stream stream = full.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                    ? new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true)
                    : file;
                using (var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true))
                {
                    writer.NewLine = "\n";
                    Write(dataset, writer);
                }
                if (!ReferenceEquals(stream, file)) stream.Dispose();
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static void Write(InteractionDataset d, TextWriter w)
    {
        w.Write("user_id\titem_id");
        if (d.HasRatings) w.Write("\trating");
        if (d.HasTimestamps) w.Write("\ttimestamp_ms");
        w.WriteLine();
        Span<char> number = stackalloc char[32];
        for (int u = 0; u < d.UserCount; u++)
        {
            var seq = d.Sequences[u];
            string user = d.UserIds[u];
            for (int p = 0; p < seq.Length; p++)
            {
                w.Write(user);
                w.Write('\t');
                w.Write(d.ItemIds[seq[p]]);
                if (d.Ratings is not null)
                {
                    w.Write('\t');
                    d.Ratings[u][p].TryFormat(number, out int n, "R", CultureInfo.InvariantCulture);
                    w.Write(number[..n]);
                }
                if (d.Timestamps is not null)
                {
                    w.Write('\t');
                    d.Timestamps[u][p].TryFormat(number, out int n, default, CultureInfo.InvariantCulture);
                    w.Write(number[..n]);
                }
                w.WriteLine();
            }
        }
    }

    private static void CheckId(string id, string kind)
    {
        if (string.IsNullOrWhiteSpace(id) || id.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0 || id != id.Trim())
            throw new ArgumentException($"The {kind} id '{id}' cannot be written to a tab-separated file (empty, surrounding spaces, tab or line break).");
    }
}
