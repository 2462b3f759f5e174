using System.Buffers;

namespace PoisonRange.Recommenders;

/// <summary>Ranking helpers over <see cref="IRecommender"/> scores: exclusion of seen items and top-K selection.</summary>
public static class RecommenderExtensions
{
    /// <summary>Sets the scores of <paramref name="items"/> to −∞ so that they never rank (out-of-range ids are ignored).</summary>
    public static void ExcludeItems(Span<float> scores, ReadOnlySpan<int> items)
    {
        foreach (var item in items)
            if ((uint)item < (uint)scores.Length)
                scores[item] = float.NegativeInfinity;
    }

    /// <summary>
    /// Writes the ids of the <c>destination.Length</c> best-scored items, best first, into
    /// <paramref name="destination"/> and returns how many it wrote (fewer when fewer items have a
    /// finite or +∞ score). Ties go to the lower item id; −∞ and NaN never rank. O(n log k).
    /// </summary>
    public static int SelectTopK(ReadOnlySpan<float> scores, Span<int> destination)
    {
        int k = destination.Length;
        if (k == 0) return 0;
        // A min-heap of the best k so far; the root is the worst of them.
        int size = 0;
        for (int item = 0; item < scores.Length; item++)
        {
            float score = scores[item];
            if (float.IsNaN(score) || score == float.NegativeInfinity) continue;
            if (size < k)
            {
                int child = size++;
                while (child > 0)
                {
                    int parent = (child - 1) >> 1;
                    if (!Worse(scores, item, destination[parent])) break;
                    destination[child] = destination[parent];
                    child = parent;
                }
                destination[child] = item;
            }
            else if (Worse(scores, destination[0], item))
            {
                SiftDown(scores, destination, item, size);
            }
        }
        // Heap-sort in place: repeatedly move the worst to the end, leaving best first.
        for (int end = size - 1; end > 0; end--)
        {
            int worst = destination[0];
            SiftDown(scores, destination, destination[end], end);
            destination[end] = worst;
        }
        return size;
    }

    private static void SiftDown(ReadOnlySpan<float> scores, Span<int> heap, int item, int size)
    {
        int index = 0;
        while (true)
        {
            int child = 2 * index + 1;
            if (child >= size) break;
            if (child + 1 < size && Worse(scores, heap[child + 1], heap[child])) child++;
            if (!Worse(scores, heap[child], item)) break;
            heap[index] = heap[child];
            index = child;
        }
        heap[index] = item;
    }

    /// <summary>Whether item a ranks below item b.</summary>
    private static bool Worse(ReadOnlySpan<float> scores, int a, int b)
    {
        float sa = scores[a], sb = scores[b];
        return sa < sb || (sa == sb && a > b);
    }

    /// <summary>
    /// The top <c>destination.Length</c> items for a known user, best first, skipping
    /// <paramref name="exclude"/> (typically the user's seen items). Returns the count written.
    /// </summary>
    public static int RecommendUser(this IRecommender model, int user, ReadOnlySpan<int> exclude, Span<int> destination)
    {
        ArgumentNullException.ThrowIfNull(model);
        float[] buffer = ArrayPool<float>.Shared.Rent(model.ItemCount);
        try
        {
            var scores = buffer.AsSpan(0, model.ItemCount);
            model.ScoreUser(user, scores);
            ExcludeItems(scores, exclude);
            return SelectTopK(scores, destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The top <c>destination.Length</c> items for an unseen history (fold-in), best first; with
    /// <paramref name="excludeHistory"/> the history's own items are left out, as a platform does.
    /// </summary>
    public static int RecommendHistory(this IRecommender model, ReadOnlySpan<int> history, bool excludeHistory, Span<int> destination)
    {
        ArgumentNullException.ThrowIfNull(model);
        float[] buffer = ArrayPool<float>.Shared.Rent(model.ItemCount);
        try
        {
            var scores = buffer.AsSpan(0, model.ItemCount);
            model.ScoreHistory(history, scores);
            if (excludeHistory) ExcludeItems(scores, history);
            return SelectTopK(scores, destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
