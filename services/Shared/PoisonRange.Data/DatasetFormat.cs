namespace PoisonRange.Data;

/// <summary>The on-disk layout of an interaction file.</summary>
public enum DatasetFormat
{
    /// <summary>Detect from the file name and content (see <see cref="DatasetLoader"/>).</summary>
    Auto = 0,

    /// <summary>
    /// MovieLens ratings: <c>user item rating timestamp</c> separated by a tab (<c>u.data</c>)
    /// or by <c>::</c> (<c>ratings.dat</c>); timestamps are Unix seconds.
    /// </summary>
    MovieLens,

    /// <summary>
    /// <c>user item [rating] [timestamp]</c> rows separated by tabs, commas, semicolons or
    /// whitespace, with or without a header line. With a header, columns are located by name.
    /// </summary>
    Delimited,

    /// <summary>RecBole atomic <c>.inter</c> file: a header of typed fields such as <c>user_id:token</c>.</summary>
    RecBole,

    /// <summary>
    /// SASRec / S3-Rec sequence file: one line per user, <c>user item1 item2 ...</c> in
    /// chronological order, optionally with a parallel timestamp file of the same shape.
    /// </summary>
    Sequence,
}

/// <summary>How timestamp values in a source file are to be read.</summary>
public enum TimestampUnit
{
    /// <summary>
    /// Decide per file: when every absolute value is below 10^11 the values are taken as Unix
    /// seconds (10^11 s is the year 5138), otherwise as Unix milliseconds.
    /// </summary>
    Auto = 0,
    Seconds,
    Milliseconds,
}

/// <summary>Options for <see cref="DatasetLoader.Load"/>. Every member has a sensible default.</summary>
public sealed record LoadOptions
{
    /// <summary>
    /// For <see cref="DatasetFormat.Sequence"/> files: a parallel file with one line per user,
    /// <c>user t1 t2 ...</c>, holding the timestamp of each item on the same line of the item file.
    /// </summary>
    public string? TimestampFile { get; init; }

    /// <summary>The dataset name used in reports; defaults to the file name (without <c>.gz</c>).</summary>
    public string? Name { get; init; }

    /// <summary>Unit of the timestamps in the file; they are always stored as Unix milliseconds.</summary>
    public TimestampUnit TimestampUnit { get; init; } = TimestampUnit.Auto;

    /// <summary>Whether a delimited file starts with a header line; null detects it.</summary>
    public bool? HasHeader { get; init; }

    /// <summary>
    /// Field separator of a delimited file: <c>"\t"</c>, <c>","</c>, <c>";"</c>, <c>"|"</c>,
    /// <c>"::"</c> or <c>" "</c> (any run of spaces and tabs). Null detects it from the first line.
    /// </summary>
    public string? Delimiter { get; init; }

    /// <summary>Drop the rating column even when the file has one (implicit feedback).</summary>
    public bool IgnoreRatings { get; init; }

    /// <summary>Drop the timestamps even when the file has them (file order is then kept).</summary>
    public bool IgnoreTimestamps { get; init; }

    /// <summary>
    /// Keep only the first (chronologically earliest) occurrence of each user–item pair.
    /// By default repeated interactions are kept, as in the source.
    /// </summary>
    public bool RemoveDuplicates { get; init; }
}

/// <summary>
/// Thrown when a dataset file cannot be parsed. The message names the file and the 1-based
/// line, e.g. <c>u.data line 17: expected at least 2 fields, found 1</c>.
/// </summary>
public sealed class DatasetFormatException : Exception
{
    public DatasetFormatException(string message) : base(message) { }

    public DatasetFormatException(string message, Exception innerException) : base(message, innerException) { }

    public DatasetFormatException(string filePath, int lineNumber, string problem)
        : base($"{Path.GetFileName(filePath)} line {lineNumber}: {problem}")
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        Problem = problem;
    }

    /// <summary>The full path of the offending file, when known.</summary>
    public string? FilePath { get; }

    /// <summary>The 1-based line number, or 0 when not known.</summary>
    public int LineNumber { get; }

    /// <summary>The problem, without file and line.</summary>
    public string? Problem { get; }
}
