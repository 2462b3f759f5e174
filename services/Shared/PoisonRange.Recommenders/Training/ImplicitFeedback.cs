using PoisonRange.Data;
using TorchSharp;

namespace PoisonRange.Recommenders.Training;

/// <summary>
/// The implicit-feedback view every trained model of the zoo starts from: each user's distinct
/// items, the (user, item) pairs of users that have a negative item, the uniform negative sampler
/// over a user's non-interacted items, item popularity and the seeded Gaussian initialisation.
/// </summary>
internal static class ImplicitFeedback
{
    /// <summary>Rejects datasets a model cannot train on.</summary>
    public static void CheckTrainable(InteractionDataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.ItemCount == 0 || train.UserCount == 0)
            throw new ArgumentException($"Cannot train on {train}: it needs at least one user and one item.", nameof(train));
    }

    /// <summary>Distinct items per user, sorted (repeats count once; the sampler's membership test).</summary>
    public static int[][] DistinctPositives(InteractionDataset train)
    {
        var positives = new int[train.UserCount][];
        for (int u = 0; u < positives.Length; u++)
        {
            var distinct = train.Sequences[u].Distinct().ToArray();
            Array.Sort(distinct);
            positives[u] = distinct;
        }
        return positives;
    }

    /// <summary>
    /// (user, item) pairs in user order, of every user that has at least one negative item (a user
    /// who has the whole catalogue has nothing to rank against); throws past int.MaxValue pairs.
    /// </summary>
    public static (int[] Users, int[] Items) Pairs(int[][] positives, int items, InteractionDataset train)
    {
        long count = 0;
        foreach (var p in positives)
            if (p.Length < items) count += p.Length;
        if (count > int.MaxValue)
            throw new ArgumentException($"{train} has {count} distinct pairs; at most {int.MaxValue} are supported.", nameof(train));
        var users = new int[count];
        var pairItems = new int[count];
        int t = 0;
        for (int u = 0; u < positives.Length; u++)
        {
            if (positives[u].Length >= items) continue;
            foreach (var i in positives[u])
            {
                users[t] = u;
                pairItems[t] = i;
                t++;
            }
        }
        return (users, pairItems);
    }

    /// <summary>A uniform draw from the items not in <paramref name="positives"/> (sorted, fewer than <paramref name="items"/>).</summary>
    public static int SampleNegative(SeededRandom rng, int[] positives, int items)
    {
        // Rejection is fast for the usual sparse user; dense users fall back to an exact draw.
        for (int attempt = 0; attempt < 16; attempt++)
        {
            int candidate = rng.Next(items);
            if (Array.BinarySearch(positives, candidate) < 0) return candidate;
        }
        int j = rng.Next(items - positives.Length);
        foreach (var p in positives)
        {
            if (p <= j) j++;
            else break;
        }
        return j;
    }

    /// <summary>Training interactions per item as floats, the fallback ranking of an empty history.</summary>
    public static float[] Popularity(InteractionDataset train)
    {
        var counts = train.ItemPopularity();
        var popularity = new float[counts.Length];
        for (int i = 0; i < counts.Length; i++) popularity[i] = counts[i];
        return popularity;
    }

    /// <summary>Normal(0, std²) values, drawn in order from <paramref name="rng"/>.</summary>
    public static float[] Normal(SeededRandom rng, int count, double std)
    {
        var values = new float[count];
        for (int k = 0; k < count; k++) values[k] = (float)(rng.NextGaussian() * std);
        return values;
    }
}

/// <summary>
/// Sets libtorch's intra-op thread count (a process-wide setting) for the duration of a fit and
/// restores the previous value on dispose.
/// </summary>
internal readonly struct TorchThreads : IDisposable
{
    private readonly int _previous;

    public TorchThreads(int threads)
    {
        _previous = torch.get_num_threads();
        torch.set_num_threads(threads);
    }

    public void Dispose() => torch.set_num_threads(_previous);
}
