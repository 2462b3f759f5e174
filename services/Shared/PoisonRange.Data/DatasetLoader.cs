namespace PoisonRange.Data;

/// <summary>
/// Loads interaction files into an <see cref="InteractionDataset"/>.
/// <list type="bullet">
/// <item>gzip is decompressed transparently (detected by the magic bytes, not the extension);</item>
/// <item>CRLF and LF line endings, a UTF-8 byte-order mark and blank lines are tolerated;</item>
/// <item>timestamps are stored as Unix milliseconds (seconds are converted, see <see cref="TimestampUnit"/>);</item>
/// <item>each user's sequence is sorted by time, stably (ties keep file order); without timestamps file order is kept;</item>
/// <item>internal ids follow the natural order of the external ids (<see cref="NaturalStringComparer"/>),
/// so they do not depend on the row order of the file;</item>
/// <item>repeated user–item interactions are kept unless <see cref="LoadOptions.RemoveDuplicates"/> is set;</item>
/// <item>a third delimited column is read as the rating whatever it measures: for Last.fm
/// <c>user_artists.dat</c> that is the play count ("weight"), not a 1–5 rating;</item>
/// <item>bad input throws <see cref="DatasetFormatException"/> naming the file and the 1-based line.</item>
/// </list>
/// </summary>
public static class DatasetLoader
{
    private const int SniffLines = 64;

    public static InteractionDataset Load(string path, DatasetFormat format = DatasetFormat.Auto, LoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new LoadOptions();
        if (!File.Exists(path))
            throw new FileNotFoundException($"Dataset file not found: {Path.GetFullPath(path)}", path);
        if (options.TimestampFile is not null && !File.Exists(options.TimestampFile))
            throw new FileNotFoundException($"Timestamp file not found: {Path.GetFullPath(options.TimestampFile)}", options.TimestampFile);

        if (format == DatasetFormat.Auto)
            format = DetectFormat(path, options);
        if (options.TimestampFile is not null && format != DatasetFormat.Sequence)
            throw new ArgumentException($"A timestamp file is only supported for the Sequence format, not {format}.", nameof(options));

        string name = options.Name ?? DataFile.BaseName(path);
        return format switch
        {
            DatasetFormat.MovieLens => LoadDelimited(path, name, options, DelimitedKind.MovieLens),
            DatasetFormat.Delimited => LoadDelimited(path, name, options, DelimitedKind.Plain),
            DatasetFormat.RecBole => LoadDelimited(path, name, options, DelimitedKind.RecBole),
            DatasetFormat.Sequence => LoadSequence(path, name, options),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown dataset format."),
        };
    }

    /// <summary>
    /// Guesses the format of a file from its name and first lines: RecBole for <c>.inter</c> files
    /// or typed headers (<c>user_id:token</c>); MovieLens for <c>u.data</c>, <c>ratings.dat</c> or
    /// <c>::</c> separators; Sequence when a timestamp file is given or when whitespace-separated
    /// lines have varying field counts or more than four fields; otherwise Delimited.
    /// </summary>
    public static DatasetFormat DetectFormat(string path, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        if (options.TimestampFile is not null) return DatasetFormat.Sequence;

        string baseName = DataFile.BaseName(path).ToLowerInvariant();
        if (baseName.EndsWith(".inter", StringComparison.Ordinal)) return DatasetFormat.RecBole;

        var lines = new List<string>(SniffLines);
        using (var reader = new LineReader(path))
        {
            while (lines.Count < SniffLines && reader.TryReadNonEmptyLine(out var line))
                lines.Add(line.ToString());
            if (lines.Count == 0)
                throw new DatasetFormatException(path, Math.Max(1, reader.LineNumber), "the file is empty");
        }

        string first = lines[0];
        if (LooksLikeRecBoleHeader(first)) return DatasetFormat.RecBole;
        if (baseName is "u.data" or "ratings.dat" || first.Contains("::", StringComparison.Ordinal)) return DatasetFormat.MovieLens;
        if (options.Delimiter is null or TextFields.Whitespace
            && !lines.Any(l => l.Contains('\t') || l.Contains(',') || l.Contains(';')))
        {
            Span<Range> none = [];
            int min = int.MaxValue, max = 0;
            foreach (var l in lines)
            {
                int n = TextFields.Split(l, TextFields.Whitespace, none);
                min = Math.Min(min, n);
                max = Math.Max(max, n);
            }
            if (max > 4 || (lines.Count > 1 && min != max)) return DatasetFormat.Sequence;
        }
        return DatasetFormat.Delimited;
    }

    private static bool LooksLikeRecBoleHeader(string line)
    {
        Span<Range> ranges = stackalloc Range[64];
        int n = Math.Min(TextFields.Split(line, line.Contains('\t') ? "\t" : TextFields.Whitespace, ranges), ranges.Length);
        for (int i = 0; i < n; i++)
        {
            var type = ColumnNames.RecBoleType(line[ranges[i]]);
            if (type is "token" or "float" or "token_seq" or "float_seq") return true;
        }
        return false;
    }

    private enum DelimitedKind { Plain, MovieLens, RecBole }

    private static InteractionDataset LoadDelimited(string path, string name, LoadOptions options, DelimitedKind kind)
    {
        using var reader = new LineReader(path);
        if (!reader.TryReadNonEmptyLine(out var firstSpan))
            throw new DatasetFormatException(path, Math.Max(1, reader.LineNumber), "the file is empty");
        string first = firstSpan.ToString();
        int firstLineNumber = reader.LineNumber;
        string? second = reader.TryReadNonEmptyLine(out var secondSpan) ? secondSpan.ToString() : null;
        int secondLineNumber = reader.LineNumber;

        string delimiter = options.Delimiter ?? DetectDelimiter(first);
        if (delimiter.Length == 0) throw new ArgumentException("The delimiter must not be empty.", nameof(options));
        string[] firstFields = SplitToStrings(first, delimiter);
        string[]? secondFields = second is null ? null : SplitToStrings(second, delimiter);

        bool hasHeader = kind == DelimitedKind.RecBole || (options.HasHeader ?? LooksLikeHeader(firstFields, secondFields));

        int userCol = 0, itemCol = 1, ratingCol = -1, timeCol = -1;
        var unit = options.TimestampUnit;
        bool positional = true;
        if (hasHeader && kind != DelimitedKind.MovieLens)
        {
            var names = firstFields.Select(ColumnNames.Normalize).ToArray();
            int u = Array.FindIndex(names, ColumnNames.IsUser);
            int i = Array.FindIndex(names, n => ColumnNames.IsItem(n) && !ColumnNames.IsUser(n));
            if (u >= 0 && i >= 0)
            {
                positional = false;
                userCol = u;
                itemCol = i;
                ratingCol = Array.FindIndex(names, ColumnNames.IsRating);
                timeCol = Array.FindIndex(names, ColumnNames.IsTime);
                if (timeCol >= 0 && unit == TimestampUnit.Auto && ColumnNames.IsMilliseconds(names[timeCol]))
                    unit = TimestampUnit.Milliseconds;
                if (kind == DelimitedKind.RecBole)
                    foreach (int c in new[] { userCol, itemCol, ratingCol, timeCol })
                        if (c >= 0 && ColumnNames.RecBoleType(firstFields[c]) is "token_seq" or "float_seq")
                            throw new DatasetFormatException(path, firstLineNumber,
                                $"column '{firstFields[c]}' is a sequence field; load sequence data with the Sequence format");
            }
            else if (kind == DelimitedKind.RecBole)
            {
                throw new DatasetFormatException(path, firstLineNumber,
                    $"no {(u < 0 ? "user" : "item")} column in the header (expected e.g. user_id:token and item_id:token)");
            }
        }
        if (positional)
        {
            int fieldCount = hasHeader ? (secondFields?.Length ?? firstFields.Length) : firstFields.Length;
            if (fieldCount >= 3) ratingCol = 2;
            if (fieldCount >= 4) timeCol = 3;
        }
        if (kind == DelimitedKind.MovieLens && unit == TimestampUnit.Auto) unit = TimestampUnit.Seconds;
        if (options.IgnoreRatings) ratingCol = -1;
        if (options.IgnoreTimestamps) timeCol = -1;

        int required = Math.Max(Math.Max(userCol, itemCol), Math.Max(ratingCol, timeCol)) + 1;
        var builder = new InteractionBuilder(ratingCol >= 0, timeCol >= 0);
        var parser = new RowParser(path, delimiter, userCol, itemCol, ratingCol, timeCol, required, builder);

        if (!hasHeader) parser.Parse(first, firstLineNumber);
        if (second is not null)
        {
            parser.Parse(second, secondLineNumber);
            Span<Range> ranges = stackalloc Range[required + 1];
            while (reader.TryReadLine(out var line))
            {
                if (line.IsWhiteSpace()) continue;
                parser.Parse(line, reader.LineNumber, ranges);
            }
        }

        if (builder.Count == 0)
            throw new DatasetFormatException(path, reader.LineNumber + 1,
                hasHeader ? "no interactions after the header line" : "no interactions in the file");
        return builder.Build(name, unit, options.RemoveDuplicates, path);
    }

    private sealed class RowParser(string path, string delimiter, int userCol, int itemCol, int ratingCol, int timeCol, int required, InteractionBuilder builder)
    {
        public void Parse(ReadOnlySpan<char> line, int lineNumber)
        {
            Span<Range> ranges = stackalloc Range[required + 1];
            Parse(line, lineNumber, ranges);
        }

        public void Parse(ReadOnlySpan<char> line, int lineNumber, Span<Range> ranges)
        {
            int n = TextFields.Split(line, delimiter, ranges);
            if (n < required)
                throw new DatasetFormatException(path, lineNumber, $"expected at least {required} fields, found {n}");
            var user = TextFields.Field(line, ranges[userCol]);
            if (user.IsEmpty) throw new DatasetFormatException(path, lineNumber, $"empty user id (field {userCol + 1})");
            var item = TextFields.Field(line, ranges[itemCol]);
            if (item.IsEmpty) throw new DatasetFormatException(path, lineNumber, $"empty item id (field {itemCol + 1})");
            float rating = 0;
            if (ratingCol >= 0)
            {
                var f = TextFields.Field(line, ranges[ratingCol]);
                if (!TextFields.TryParseFloat(f, out rating))
                    throw new DatasetFormatException(path, lineNumber, $"rating '{TextFields.Show(f)}' (field {ratingCol + 1}) is not a number");
            }
            long time = 0;
            if (timeCol >= 0)
            {
                var f = TextFields.Field(line, ranges[timeCol]);
                if (!TextFields.TryParseTime(f, out time))
                    throw new DatasetFormatException(path, lineNumber, $"timestamp '{TextFields.Show(f)}' (field {timeCol + 1}) is not a number");
            }
            builder.Add(builder.InternUser(user), builder.InternItem(item), rating, time);
        }
    }

    private static string DetectDelimiter(string line)
    {
        if (line.Contains('\t')) return "\t";
        if (line.Contains("::", StringComparison.Ordinal)) return "::";
        if (line.Contains(',')) return ",";
        if (line.Contains(';')) return ";";
        return TextFields.Whitespace;
    }

    private static string[] SplitToStrings(string line, string delimiter)
    {
        int n = TextFields.Split(line, delimiter, []);
        var ranges = new Range[n];
        TextFields.Split(line, delimiter, ranges);
        return ranges.Select(r => TextFields.Field(line, r).ToString()).ToArray();
    }

    /// <summary>
    /// A first line is a header when it names both a user and an item column, or when one of
    /// its fields is not a number while the same field of the second line is.
    /// </summary>
    private static bool LooksLikeHeader(string[] first, string[]? second)
    {
        var names = first.Select(ColumnNames.Normalize).ToArray();
        if (names.Any(ColumnNames.IsUser) && names.Any(n => ColumnNames.IsItem(n) && !ColumnNames.IsUser(n)))
            return true;
        if (second is null) return false;
        for (int i = 0; i < Math.Min(first.Length, second.Length); i++)
            if (!TextFields.IsNumber(first[i]) && TextFields.IsNumber(second[i]))
                return true;
        return false;
    }

    private static InteractionDataset LoadSequence(string path, string name, LoadOptions options)
    {
        string? timePath = options.IgnoreTimestamps ? null : options.TimestampFile;
        using var items = new LineReader(path);
        using var times = timePath is null ? null : new LineReader(timePath);
        var builder = new InteractionBuilder(hasRatings: false, hasTimestamps: times is not null);

        while (items.TryReadNonEmptyLine(out var line))
        {
            int pos = 0;
            TextFields.NextToken(line, ref pos, out var userToken);
            int itemsStart = pos;
            int count = 0;
            while (TextFields.NextToken(line, ref pos, out _)) count++;
            if (count == 0)
                throw new DatasetFormatException(path, items.LineNumber, "expected at least 2 fields (a user id and an item), found 1");
            int user = builder.InternUser(userToken);

            if (times is null)
            {
                pos = itemsStart;
                while (TextFields.NextToken(line, ref pos, out var itemToken))
                    builder.Add(user, builder.InternItem(itemToken), 0, 0);
                continue;
            }

            if (!times.TryReadNonEmptyLine(out var timeLine))
                throw new DatasetFormatException(timePath!, times.LineNumber + 1,
                    $"the timestamp file ends before {Path.GetFileName(path)} line {items.LineNumber} (user '{TextFields.Show(userToken)}')");
            int tpos = 0;
            TextFields.NextToken(timeLine, ref tpos, out var timeUser);
            if (!timeUser.SequenceEqual(userToken))
                throw new DatasetFormatException(timePath!, times.LineNumber,
                    $"user '{TextFields.Show(timeUser)}' does not match user '{TextFields.Show(userToken)}' on {Path.GetFileName(path)} line {items.LineNumber}");
            int timesStart = tpos;
            int timeCount = 0;
            while (TextFields.NextToken(timeLine, ref tpos, out _)) timeCount++;
            if (timeCount != count)
                throw new DatasetFormatException(timePath!, times.LineNumber,
                    $"{timeCount} timestamps for {count} items on {Path.GetFileName(path)} line {items.LineNumber}");

            pos = itemsStart;
            tpos = timesStart;
            while (TextFields.NextToken(line, ref pos, out var itemToken))
            {
                TextFields.NextToken(timeLine, ref tpos, out var timeToken);
                if (!TextFields.TryParseTime(timeToken, out long t))
                    throw new DatasetFormatException(timePath!, times.LineNumber, $"timestamp '{TextFields.Show(timeToken)}' is not a number");
                builder.Add(user, builder.InternItem(itemToken), 0, t);
            }
        }

        if (builder.Count == 0)
            throw new DatasetFormatException(path, Math.Max(1, items.LineNumber), "the file is empty");
        if (times is not null && times.TryReadNonEmptyLine(out _))
            throw new DatasetFormatException(timePath!, times.LineNumber,
                $"the timestamp file has more lines than {Path.GetFileName(path)} ({items.LineNumber})");
        return builder.Build(name, options.TimestampUnit, options.RemoveDuplicates, path);
    }
}
