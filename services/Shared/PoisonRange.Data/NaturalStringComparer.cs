namespace PoisonRange.Data;

/// <summary>
/// Orders strings so that runs of digits compare by numeric value ("u2" before "u10",
/// "9" before "10"); other characters compare ordinally. Strings that compare equal this
/// way ("07" and "7") fall back to ordinal order, so the order is total and deterministic.
/// Loaders use it to assign dense internal ids in the order of the external ids.
/// </summary>
public sealed class NaturalStringComparer : IComparer<string>
{
    public static NaturalStringComparer Instance { get; } = new();

    private NaturalStringComparer() { }

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int c = CompareNatural(x, y);
        return c != 0 ? c : string.CompareOrdinal(x, y);
    }

    private static int CompareNatural(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                int si = i, sj = j;
                while (i < a.Length && char.IsAsciiDigit(a[i])) i++;
                while (j < b.Length && char.IsAsciiDigit(b[j])) j++;
                var da = a[si..i].TrimStart('0');
                var db = b[sj..j].TrimStart('0');
                if (da.Length != db.Length) return da.Length.CompareTo(db.Length);
                int c = da.SequenceCompareTo(db);
                if (c != 0) return c;
            }
            else
            {
                if (a[i] != b[j]) return a[i].CompareTo(b[j]);
                i++;
                j++;
            }
        }
        return (a.Length - i).CompareTo(b.Length - j);
    }
}
