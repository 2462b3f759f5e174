using PoisonRange.Data;

namespace PoisonRange.Recommenders.Tests;

/// <summary>
/// Small synthetic data with a planted pattern: two user communities, each preferring its own
/// item set, plus "trending" items that every user touches less often but that are the most
/// popular overall. A popularity ranking therefore points at the trending items, while a model
/// that learns the communities ranks each user's community items first. One further community
/// item per user is held out.
/// </summary>
internal sealed class CommunityData
{
    public const int Trending = 20;
    public const int PerCommunity = 25;
    public const int Items = Trending + 2 * PerCommunity;

    public required InteractionDataset Train { get; init; }
    public required int[] HeldOut { get; init; }
    public required int[] CommunityOf { get; init; }

    public static int FirstItemOf(int community) => Trending + community * PerCommunity;

    public static bool InCommunity(int item, int community)
        => item >= FirstItemOf(community) && item < FirstItemOf(community) + PerCommunity;

    public static CommunityData Create(int users = 200, int trendingPerUser = 8, int communityPerUser = 15, ulong seed = 7)
    {
        var rng = new SeededRandom(seed, BoundedIntegers.Full64Bits);
        var sequences = new int[users][];
        var heldOut = new int[users];
        var communityOf = new int[users];
        for (int u = 0; u < users; u++)
        {
            int community = u % 2;
            communityOf[u] = community;
            var trending = Draw(rng, 0, Trending, trendingPerUser);
            var liked = Draw(rng, FirstItemOf(community), PerCommunity, communityPerUser + 1);
            heldOut[u] = liked[^1];
            var sequence = trending.Concat(liked[..^1]).ToArray();
            rng.Shuffle(sequence.AsSpan());
            sequences[u] = sequence;
        }
        var train = new InteractionDataset(
            "communities",
            Enumerable.Range(0, users).Select(u => $"u{u}").ToArray(),
            Enumerable.Range(0, Items).Select(i => $"i{i}").ToArray(),
            sequences, null, null);
        return new CommunityData { Train = train, HeldOut = heldOut, CommunityOf = communityOf };
    }

    /// <summary>A fresh history of <paramref name="length"/> items of one community (not any training user's).</summary>
    public static int[] NewHistory(int community, int length, int trending, ulong seed)
    {
        var rng = new SeededRandom(seed, BoundedIntegers.Full64Bits);
        var history = Draw(rng, FirstItemOf(community), PerCommunity, length).Concat(Draw(rng, 0, Trending, trending)).ToArray();
        rng.Shuffle(history.AsSpan());
        return history;
    }

    private static int[] Draw(SeededRandom rng, int first, int count, int take)
    {
        var pool = Enumerable.Range(first, count).ToArray();
        rng.Shuffle(pool.AsSpan());
        return pool[..take];
    }

    /// <summary>HR@10 on the held-out items, seen items excluded.</summary>
    public double HitRatio(IRecommender model)
    {
        var scores = new float[model.ItemCount];
        Span<int> top = stackalloc int[10];
        int hits = 0;
        for (int u = 0; u < Train.UserCount; u++)
        {
            model.ScoreUser(u, scores);
            RecommenderExtensions.ExcludeItems(scores, Train.Sequences[u]);
            int n = TopK.SelectInto(scores, top);
            if (top[..n].Contains(HeldOut[u])) hits++;
        }
        return (double)hits / Train.UserCount;
    }
}
