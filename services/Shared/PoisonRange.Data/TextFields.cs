using System.Globalization;

namespace PoisonRange.Data;

/// <summary>Allocation-free field splitting and number parsing over line spans.</summary>
internal static class TextFields
{
    public const string Whitespace = " ";

    /// <summary>
    /// Splits <paramref name="line"/> on <paramref name="delimiter"/> (<c>" "</c> means any run of
    /// spaces and tabs, leading and trailing ones ignored). Stores up to <c>dest.Length</c> field
    /// ranges and returns the total number of fields.
    /// </summary>
    public static int Split(ReadOnlySpan<char> line, string delimiter, Span<Range> dest)
    {
        int count = 0;
        if (delimiter == Whitespace)
        {
            int i = 0;
            while (true)
            {
                while (i < line.Length && (line[i] == ' ' || line[i] == '\t')) i++;
                if (i >= line.Length) return count;
                int start = i;
                while (i < line.Length && line[i] != ' ' && line[i] != '\t') i++;
                if (count < dest.Length) dest[count] = new Range(start, i);
                count++;
            }
        }

        int pos = 0;
        while (true)
        {
            int idx = delimiter.Length == 1
                ? line[pos..].IndexOf(delimiter[0])
                : line[pos..].IndexOf(delimiter.AsSpan(), StringComparison.Ordinal);
            int end = idx < 0 ? line.Length : pos + idx;
            if (count < dest.Length) dest[count] = new Range(pos, end);
            count++;
            if (idx < 0) return count;
            pos = end + delimiter.Length;
        }
    }

    /// <summary>The field with surrounding whitespace and one pair of double quotes removed.</summary>
    public static ReadOnlySpan<char> Field(ReadOnlySpan<char> line, Range range)
    {
        var f = line[range].Trim();
        if (f.Length >= 2 && f[0] == '"' && f[^1] == '"') f = f[1..^1];
        return f;
    }

    /// <summary>Reads the next whitespace-separated token starting at <paramref name="pos"/>.</summary>
    public static bool NextToken(ReadOnlySpan<char> line, ref int pos, out ReadOnlySpan<char> token)
    {
        int i = pos;
        while (i < line.Length && (line[i] == ' ' || line[i] == '\t')) i++;
        if (i >= line.Length)
        {
            pos = i;
            token = default;
            return false;
        }
        int start = i;
        while (i < line.Length && line[i] != ' ' && line[i] != '\t') i++;
        token = line[start..i];
        pos = i;
        return true;
    }

    public static bool TryParseFloat(ReadOnlySpan<char> s, out float value)
        => float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);

    /// <summary>Parses an integer timestamp; a decimal value (e.g. RecBole <c>881250949.0</c>) is rounded.</summary>
    public static bool TryParseTime(ReadOnlySpan<char> s, out long value)
    {
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)) return true;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
            && double.IsFinite(d) && Math.Abs(d) < 9.2e18)
        {
            value = (long)Math.Round(d);
            return true;
        }
        value = 0;
        return false;
    }

    public static bool IsNumber(ReadOnlySpan<char> s)
        => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d);

    /// <summary>Shortens a field for an error message.</summary>
    public static string Show(ReadOnlySpan<char> s) => s.Length <= 40 ? s.ToString() : string.Concat(s[..37], "...");
}

/// <summary>Recognises column names in header lines (case, <c>_</c>, <c>-</c> and a RecBole <c>:type</c> suffix ignored).</summary>
internal static class ColumnNames
{
    private static readonly HashSet<string> User = new(StringComparer.Ordinal)
    {
        "user", "userid", "uid", "users", "username", "reviewerid", "customerid", "visitorid", "memberid", "u",
    };

    private static readonly HashSet<string> Item = new(StringComparer.Ordinal)
    {
        "item", "itemid", "iid", "sid", "movie", "movieid", "artist", "artistid", "business", "businessid",
        "product", "productid", "asin", "song", "songid", "track", "trackid", "location", "locationid",
        "poi", "poiid", "venue", "venueid", "game", "gameid", "book", "bookid", "isbn", "i", "mid", "pid",
    };

    private static readonly HashSet<string> Rating = new(StringComparer.Ordinal)
    {
        "rating", "ratings", "score", "weight", "playcount", "plays", "count", "stars", "value", "preference",
    };

    private static readonly HashSet<string> Time = new(StringComparer.Ordinal)
    {
        "timestamp", "time", "ts", "unixtime", "unixtimestamp", "epoch", "timestampms", "timems", "tsms", "timestamps",
    };

    public static string Normalize(string field)
    {
        var f = field.Trim().Trim('"');
        int colon = f.IndexOf(':');
        if (colon > 0) f = f[..colon];
        Span<char> buf = stackalloc char[Math.Min(f.Length, 256)];
        int n = 0;
        foreach (var c in f)
        {
            if (c is '_' or '-' or ' ' or '.') continue;
            if (n == buf.Length) break;
            buf[n++] = char.ToLowerInvariant(c);
        }
        return new string(buf[..n]);
    }

    /// <summary>The RecBole type of a header field (<c>token</c>, <c>float</c>, ...), or null.</summary>
    public static string? RecBoleType(string field)
    {
        int colon = field.IndexOf(':');
        return colon > 0 ? field[(colon + 1)..].Trim().ToLowerInvariant() : null;
    }

    public static bool IsUser(string normalized) => User.Contains(normalized) || (normalized.StartsWith("user", StringComparison.Ordinal) && !HasDigit(normalized));
    public static bool IsItem(string normalized) => Item.Contains(normalized) || (normalized.StartsWith("item", StringComparison.Ordinal) && !HasDigit(normalized));
    public static bool IsRating(string normalized) => Rating.Contains(normalized);
    public static bool IsTime(string normalized) => Time.Contains(normalized);
    public static bool IsMilliseconds(string normalized) => IsTime(normalized) && normalized.EndsWith("ms", StringComparison.Ordinal);

    private static bool HasDigit(string s)
    {
        foreach (var c in s) if (char.IsAsciiDigit(c)) return true;
        return false;
    }
}
