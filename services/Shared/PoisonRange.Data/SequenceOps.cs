namespace PoisonRange.Data;

/// <summary>Small helpers over per-user parallel arrays (items, timestamps, ratings).</summary>
internal static class SequenceOps
{
    /// <summary>Sorts one user's interactions by time; ties keep their current order.</summary>
    public static void StableSortByTime(int[] items, long[] times, float[]? ratings)
    {
        bool sorted = true;
        for (int i = 1; i < times.Length; i++)
            if (times[i] < times[i - 1]) { sorted = false; break; }
        if (sorted) return;

        var order = new int[times.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) =>
        {
            int c = times[a].CompareTo(times[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        var items2 = new int[items.Length];
        var times2 = new long[times.Length];
        for (int i = 0; i < order.Length; i++)
        {
            items2[i] = items[order[i]];
            times2[i] = times[order[i]];
        }
        items2.CopyTo(items, 0);
        times2.CopyTo(times, 0);
        if (ratings is not null)
        {
            var ratings2 = new float[ratings.Length];
            for (int i = 0; i < order.Length; i++) ratings2[i] = ratings[order[i]];
            ratings2.CopyTo(ratings, 0);
        }
    }

    /// <summary>Keeps the first occurrence of each item in user <paramref name="u"/>'s sequence.</summary>
    public static void RemoveDuplicateItems(int[][] sequences, long[][]? times, float[][]? ratings, int u)
    {
        var seq = sequences[u];
        var seen = new HashSet<int>(seq.Length);
        var keep = new List<int>(seq.Length);
        for (int i = 0; i < seq.Length; i++)
            if (seen.Add(seq[i])) keep.Add(i);
        if (keep.Count == seq.Length) return;
        sequences[u] = Select(seq, keep);
        if (times is not null) times[u] = Select(times[u], keep);
        if (ratings is not null) ratings[u] = Select(ratings[u], keep);
    }

    public static T[] Select<T>(T[] source, List<int> positions)
    {
        var result = new T[positions.Count];
        for (int i = 0; i < result.Length; i++) result[i] = source[positions[i]];
        return result;
    }

    public static T[] Slice<T>(T[] source, int start, int length) => source.AsSpan(start, length).ToArray();
}
