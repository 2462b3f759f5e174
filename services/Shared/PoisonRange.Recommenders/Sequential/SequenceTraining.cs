using PoisonRange.Data;
using PoisonRange.Recommenders.Training;
using TorchSharp;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// What the next-item models trained with sequential BPR (S-BPR) share: every transition
/// (user, previous item, next item) of the training sequences, each user's distinct items for the
/// negative sampler, each user's last item (the "previous" item when the user is scored), and the
/// popularity fallback for empty histories.
/// </summary>
internal sealed class TransitionSet
{
    private TransitionSet(int users, int items, int[] transitionUsers, int[] previous, int[] next, int[][] positives, int[] lastItem, float[] popularity)
    {
        Users = users;
        Items = items;
        TransitionUsers = transitionUsers;
        Previous = previous;
        Next = next;
        Positives = positives;
        LastItem = lastItem;
        Popularity = popularity;
    }

    public int Users { get; }
    public int Items { get; }

    /// <summary>The user of each transition.</summary>
    public int[] TransitionUsers { get; }

    /// <summary>The item consumed just before <see cref="Next"/> in the same sequence.</summary>
    public int[] Previous { get; }

    public int[] Next { get; }

    public int Count => Next.Length;

    /// <summary>Per user, the distinct training items, sorted (the sampler's membership test).</summary>
    public int[][] Positives { get; }

    /// <summary>Per user, the last training item, or −1 for an empty sequence.</summary>
    public int[] LastItem { get; }

    /// <summary>Training interactions per item.</summary>
    public float[] Popularity { get; }

    /// <summary>
    /// Collects the transitions of <paramref name="train"/> in user order. Users who have
    /// interacted with the whole catalogue contribute none (they have no negatives).
    /// </summary>
    public static TransitionSet Build(InteractionDataset train)
    {
        int users = train.UserCount, items = train.ItemCount;
        var positives = ImplicitFeedback.DistinctPositives(train);
        var lastItem = new int[users];
        long count = 0;
        for (int u = 0; u < users; u++)
        {
            var sequence = train.Sequences[u];
            lastItem[u] = sequence.Length > 0 ? sequence[^1] : -1;
            if (positives[u].Length < items && sequence.Length > 1) count += sequence.Length - 1;
        }
        if (count > int.MaxValue)
            throw new ArgumentException($"{train} has {count} transitions; at most {int.MaxValue} are supported.", nameof(train));

        var transitionUsers = new int[count];
        var previous = new int[count];
        var next = new int[count];
        int t = 0;
        for (int u = 0; u < users; u++)
        {
            var sequence = train.Sequences[u];
            if (positives[u].Length >= items) continue;
            for (int k = 1; k < sequence.Length; k++)
            {
                transitionUsers[t] = u;
                previous[t] = sequence[k - 1];
                next[t] = sequence[k];
                t++;
            }
        }

        return new TransitionSet(users, items, transitionUsers, previous, next, positives, lastItem, ImplicitFeedback.Popularity(train));
    }

    /// <summary>The transitions as pairwise ranking samples (user, previous item, next item) for <see cref="PairwiseRankingLoop"/>.</summary>
    public PairwiseSamples Samples => new(TransitionUsers, Previous, Next, Positives, Items);
}

/// <summary>Argument checks of the sequential serving models.</summary>
internal static class SequentialCheckpoint
{
    /// <summary>Validates the items of a history against the catalogue.</summary>
    public static void CheckHistory(ReadOnlySpan<int> history, int items)
    {
        foreach (var item in history)
            if ((uint)item >= (uint)items)
                throw new ArgumentOutOfRangeException(nameof(history), item, $"History item {item} is outside 0..{items - 1}.");
    }

    public static void CheckScores(Span<float> scores, int items)
    {
        if (scores.Length != items)
            throw new ArgumentException($"The score buffer has {scores.Length} entries; the model scores {items} items.", nameof(scores));
    }

    public static void CheckUser(int user, int users)
    {
        if ((uint)user >= (uint)users)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{users - 1}.");
    }
}
