namespace PoisonRange.Data;

/// <summary>Where a dataset lives and how to read it.</summary>
/// <param name="Name">Short name used in reports ("ml-1m", or the file name for a path).</param>
/// <param name="Path">Full path of the interaction file.</param>
/// <param name="Format">Format to load it with (<see cref="DatasetFormat.Auto"/> to detect).</param>
/// <param name="TimestampFile">Parallel timestamp file for sequence data, or null.</param>
public sealed record DatasetReference(string Name, string Path, DatasetFormat Format, string? TimestampFile = null)
{
    /// <summary>Options that load this reference (name and timestamp file filled in).</summary>
    public LoadOptions ToLoadOptions(LoadOptions? baseOptions = null)
        => (baseOptions ?? new LoadOptions()) with { Name = baseOptions?.Name ?? Name, TimestampFile = TimestampFile ?? baseOptions?.TimestampFile };

    public InteractionDataset Load(LoadOptions? options = null) => DatasetLoader.Load(Path, Format, ToLoadOptions(options));
}

/// <summary>
/// Known datasets by short name, resolved against a data directory (by default the shared
/// <c>data</c> folder next to the repository, see <see cref="DefaultDataDirectory"/>).
/// </summary>
public static class DatasetCatalog
{
    /// <summary>Environment variable that overrides the default data directory.</summary>
    public const string DataDirectoryVariable = "POISONRANGE_DATA";

    private sealed record Entry(string RelativePath, DatasetFormat Format, string? RelativeTimestampFile, string Description);

    private static readonly Dictionary<string, Entry> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ml-100k"] = new("movielens-100k/u.data", DatasetFormat.MovieLens, null, "MovieLens 100K: 943 users, 1,682 items, 100,000 ratings with timestamps"),
        ["ml-1m"] = new("movielens-1m/ratings_user_movie.tsv.gz", DatasetFormat.Delimited, null, "MovieLens 1M (implicit): 6,040 users, 3,706 items, 1,000,209 pairs, no time"),
        ["lastfm"] = new("lastfm-hetrec2011/user_artists.dat", DatasetFormat.Delimited, null, "Last.fm HetRec 2011: 1,892 users, 17,632 artists, 92,834 rows; rating = play count"),
        ["yelp"] = new("yelp/Yelp_item_org_rank.txt", DatasetFormat.Sequence, "yelp/Yelp_time_org_rank.txt", "Yelp (S3-Rec processing): 30,431 users, 20,033 items, 316,354 interactions with timestamps"),
        ["gowalla"] = new("gowalla-revisit-adv-rec/test.csv", DatasetFormat.Delimited, null, "Gowalla test split (revisit_adv_rec): 13,149 users, 13,502 items, 102,254 rows"),
    };

    /// <summary>The short names <see cref="Resolve"/> knows.</summary>
    public static IReadOnlyList<string> KnownNames { get; } = ["ml-100k", "ml-1m", "lastfm", "yelp", "gowalla"];

    /// <summary>A one-line description of a known dataset.</summary>
    public static string Describe(string name)
        => Known.TryGetValue(name, out var e) ? e.Description : throw new ArgumentException($"Unknown dataset '{name}'. Known: {string.Join(", ", KnownNames)}.", nameof(name));

    /// <summary>
    /// Resolves a known name (case-insensitive) or a path. An existing file path is used as is;
    /// a relative path is also tried under the data directory. Throws
    /// <see cref="FileNotFoundException"/> naming the known datasets and the directory searched.
    /// </summary>
    public static DatasetReference Resolve(string nameOrPath, string? dataDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        string? directory = dataDirectory ?? DefaultDataDirectory();

        if (Known.TryGetValue(nameOrPath, out var entry))
        {
            if (directory is null)
                throw new FileNotFoundException(
                    $"Dataset '{nameOrPath}' needs a data directory, and none was given or found " +
                    $"(set {DataDirectoryVariable} or pass the directory). Known datasets: {string.Join(", ", KnownNames)}.");
            string path = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, entry.RelativePath));
            if (!File.Exists(path))
                throw new FileNotFoundException(
                    $"Dataset '{nameOrPath}' is not present: expected {path} (data directory {System.IO.Path.GetFullPath(directory)}).", path);
            string? timestamps = entry.RelativeTimestampFile is null ? null : System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, entry.RelativeTimestampFile));
            if (timestamps is not null && !File.Exists(timestamps))
                throw new FileNotFoundException($"Dataset '{nameOrPath}': timestamp file {timestamps} is missing.", timestamps);
            return new DatasetReference(KnownNames.First(n => string.Equals(n, nameOrPath, StringComparison.OrdinalIgnoreCase)), path, entry.Format, timestamps);
        }

        if (File.Exists(nameOrPath))
            return ForPath(System.IO.Path.GetFullPath(nameOrPath));
        if (directory is not null && !System.IO.Path.IsPathRooted(nameOrPath))
        {
            string candidate = System.IO.Path.Combine(directory, nameOrPath);
            if (File.Exists(candidate))
                return ForPath(System.IO.Path.GetFullPath(candidate));
        }

        string searched = directory is null ? "no data directory was given or found" : $"data directory searched: {System.IO.Path.GetFullPath(directory)}";
        throw new FileNotFoundException(
            $"Unknown dataset '{nameOrPath}': not a known name and no such file. Known datasets: {string.Join(", ", KnownNames)}; {searched}.",
            nameOrPath);
    }

    /// <summary>Resolves and loads a dataset (see <see cref="Resolve"/>).</summary>
    public static InteractionDataset Load(string nameOrPath, string? dataDirectory, LoadOptions? options = null)
        => Resolve(nameOrPath, dataDirectory).Load(options);

    /// <summary>
    /// The default data directory: <c>$POISONRANGE_DATA</c> when set; otherwise the first
    /// <c>shared/data</c> folder found next to a directory containing <c>Microservices.sln</c>
    /// (walking up from the current directory and from the application directory); otherwise null.
    /// </summary>
    public static string? DefaultDataDirectory()
    {
        var fromEnv = Environment.GetEnvironmentVariable(DataDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Microservices.sln")))
                {
                    var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "data"));
                    if (Directory.Exists(candidate)) return candidate;
                }
            }
        }
        return null;
    }

    private static DatasetReference ForPath(string fullPath)
    {
        // The Yelp item file of the catalogue gets its timestamp file when it sits next to it.
        string? timestamps = null;
        string fileName = System.IO.Path.GetFileName(fullPath);
        if (fileName.Contains("_item_", StringComparison.Ordinal))
        {
            var sibling = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(fullPath)!, fileName.Replace("_item_", "_time_", StringComparison.Ordinal));
            if (File.Exists(sibling)) timestamps = sibling;
        }
        return new DatasetReference(DataFile.BaseName(fullPath), fullPath, timestamps is null ? DatasetFormat.Auto : DatasetFormat.Sequence, timestamps);
    }
}
