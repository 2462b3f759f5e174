using System.Buffers;
using System.Numerics;

namespace PoisonRange.Data;

/// <summary>
/// Top-K selection over a score vector with a bounded heap: O(n log k) time, no allocation
/// apart from the result. The one ranking rule of the range (platform, simulator, estimator,
/// benchmarks):
/// <list type="bullet">
/// <item>higher scores rank first; equal scores go to the lower item index (−0 equals +0);</item>
/// <item>an item scored NaN or −∞ never ranks: it is left out like an excluded item, so −∞ is
/// the way to mask items in a score vector (see <c>RecommenderExtensions.ExcludeItems</c>) and a
/// model that produces NaN cannot put an unscored item into a list; +∞ ranks first;</item>
/// <item>excluded items never appear, and a list holds fewer than K items when fewer items
/// remain.</item>
/// </list>
/// </summary>
public static class TopK
{
    private const int StackLimit = 256;

    /// <summary>The indices of the <paramref name="k"/> best scores, best first (fewer when not enough items rank).</summary>
    public static int[] Select(ReadOnlySpan<float> scores, int k, ReadOnlySpan<int> exclude = default)
        => SelectCore(scores, k, exclude);

    /// <inheritdoc cref="Select(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/>
    public static int[] Select(ReadOnlySpan<double> scores, int k, ReadOnlySpan<int> exclude = default)
        => SelectCore(scores, k, exclude);

    /// <summary>
    /// Writes the best items, best first, into <paramref name="destination"/> (its length is K)
    /// and returns how many were written.
    /// </summary>
    public static int SelectInto(ReadOnlySpan<float> scores, Span<int> destination)
        => SelectIntoCore(scores, default, destination);

    /// <inheritdoc cref="SelectInto(ReadOnlySpan{float}, Span{int})"/>
    public static int SelectInto(ReadOnlySpan<double> scores, Span<int> destination)
        => SelectIntoCore(scores, default, destination);

    /// <summary>
    /// Writes the best items that are not in <paramref name="exclude"/>, best first, into
    /// <paramref name="destination"/> (its length is K) and returns how many were written.
    /// </summary>
    public static int SelectInto(ReadOnlySpan<float> scores, ReadOnlySpan<int> exclude, Span<int> destination)
        => SelectIntoCore(scores, exclude, destination);

    /// <inheritdoc cref="SelectInto(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{int})"/>
    public static int SelectInto(ReadOnlySpan<double> scores, ReadOnlySpan<int> exclude, Span<int> destination)
        => SelectIntoCore(scores, exclude, destination);

    private static int[] SelectCore<T>(ReadOnlySpan<T> scores, int k, ReadOnlySpan<int> exclude)
        where T : struct, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        k = Math.Min(k, scores.Length);
        if (k == 0) return [];
        int[]? rented = null;
        Span<int> buffer = k <= StackLimit ? stackalloc int[k] : (rented = ArrayPool<int>.Shared.Rent(k)).AsSpan(0, k);
        try
        {
            int n = SelectIntoCore(scores, exclude, buffer);
            return buffer[..n].ToArray();
        }
        finally
        {
            if (rented is not null) ArrayPool<int>.Shared.Return(rented);
        }
    }

    private static int SelectIntoCore<T>(ReadOnlySpan<T> scores, ReadOnlySpan<int> exclude, Span<int> destination)
        where T : struct, IFloatingPointIeee754<T>
    {
        int k = Math.Min(destination.Length, scores.Length);
        if (k == 0) return 0;
        foreach (var e in exclude)
            if ((uint)e >= (uint)scores.Length)
                throw new ArgumentOutOfRangeException(nameof(exclude), e, $"Excluded item {e} is outside 0..{scores.Length - 1}.");

        bool[]? mask = null;
        if (exclude.Length > 0)
        {
            mask = ArrayPool<bool>.Shared.Rent(scores.Length);
            // Other code may return pooled arrays dirty, so clear what is used.
            Array.Clear(mask, 0, scores.Length);
            foreach (var e in exclude) mask[e] = true;
        }
        try
        {
            // Min-heap on "goodness": the root is the worst of the kept items.
            var heap = destination[..k];
            int count = 0;
            for (int i = 0; i < scores.Length; i++)
            {
                if (mask is not null && mask[i]) continue;
                if (!Ranks(scores[i])) continue;
                if (count < k)
                {
                    heap[count] = i;
                    SiftUp(heap, count, scores);
                    count++;
                }
                else if (Better(scores, i, heap[0]))
                {
                    heap[0] = i;
                    SiftDown(heap, 0, count, scores);
                }
            }
            // Pop the worst repeatedly into the back of the buffer: the result ends best first.
            for (int end = count - 1; end > 0; end--)
            {
                int worst = heap[0];
                heap[0] = heap[end];
                heap[end] = worst;
                SiftDown(heap, 0, end, scores);
            }
            return count;
        }
        finally
        {
            if (mask is not null)
            {
                foreach (var e in exclude) mask[e] = false;
                ArrayPool<bool>.Shared.Return(mask);
            }
        }
    }

    /// <summary>False for NaN and −∞: such an item is never returned.</summary>
    private static bool Ranks<T>(T score) where T : struct, IFloatingPointIeee754<T>
        => !T.IsNaN(score) && !T.IsNegativeInfinity(score);

    /// <summary>True when item <paramref name="i"/> ranks before item <paramref name="j"/> (both ranking scores).</summary>
    private static bool Better<T>(ReadOnlySpan<T> s, int i, int j) where T : struct, IFloatingPointIeee754<T>
    {
        T a = s[i], b = s[j];
        return a > b || (a == b && i < j);
    }

    private static void SiftUp<T>(Span<int> heap, int pos, ReadOnlySpan<T> s) where T : struct, IFloatingPointIeee754<T>
    {
        int item = heap[pos];
        while (pos > 0)
        {
            int parent = (pos - 1) >> 1;
            if (!Better(s, heap[parent], item)) break;
            heap[pos] = heap[parent];
            pos = parent;
        }
        heap[pos] = item;
    }

    private static void SiftDown<T>(Span<int> heap, int pos, int count, ReadOnlySpan<T> s) where T : struct, IFloatingPointIeee754<T>
    {
        int item = heap[pos];
        while (true)
        {
            int child = 2 * pos + 1;
            if (child >= count) break;
            if (child + 1 < count && Better(s, heap[child], heap[child + 1])) child++;
            if (!Better(s, item, heap[child])) break;
            heap[pos] = heap[child];
            pos = child;
        }
        heap[pos] = item;
    }
}
