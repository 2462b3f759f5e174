using System.Buffers;
using PoisonRange.Data;

namespace PoisonRange.Recommenders;

/// <summary>
/// Ranking helpers over <see cref="IRecommender"/> scores: exclusion of seen items and the top
/// items of a user or a history, selected by <see cref="TopK"/> (its rule for ties, NaN and −∞).
/// </summary>
public static class RecommenderExtensions
{
    /// <summary>Sets the scores of <paramref name="items"/> to −∞ so that they never rank in <see cref="TopK"/> (out-of-range ids are ignored).</summary>
    public static void ExcludeItems(Span<float> scores, ReadOnlySpan<int> items)
    {
        foreach (var item in items)
            if ((uint)item < (uint)scores.Length)
                scores[item] = float.NegativeInfinity;
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
            return TopK.SelectInto(scores, destination);
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
            return TopK.SelectInto(scores, destination);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
