using System.Globalization;
using PoisonRange.Range.Exercise;

namespace PoisonRange.Range.Reports;

/// <summary>The directory a run writes its reports into: the one asked for, else a new runs/&lt;timestamp&gt;.</summary>
public static class RunDirectory
{
    public static string Create(string? requested)
    {
        string dir;
        if (!string.IsNullOrWhiteSpace(requested))
        {
            dir = requested;
        }
        else
        {
            var stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            dir = Path.Combine("runs", stamp);
            for (int i = 2; Directory.Exists(dir); i++) dir = Path.Combine("runs", $"{stamp}-{i}");
        }
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RangeException($"cannot create the output directory {dir}: {e.Message}", e);
        }
        return dir;
    }

    /// <summary>Removes the directory of a run that failed before writing anything.</summary>
    public static void RemoveIfEmpty(string dir)
    {
        try
        {
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>A run's identifier: UTC time and six random hex digits.</summary>
    public static string NewRunId() =>
        $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{System.Security.Cryptography.RandomNumberGenerator.GetHexString(6, lowercase: true)}";
}
