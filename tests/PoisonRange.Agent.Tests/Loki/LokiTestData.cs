using PoisonRange.Agent.Loki;
using PoisonRange.Data;

namespace PoisonRange.Agent.Tests.Loki;

/// <summary>Small views and rewards shared by the LOKI tests.</summary>
internal static class LokiTestData
{
    /// <summary>
    /// Users in <paramref name="clusters"/> taste groups over <paramref name="clusters"/> planted item
    /// clusters of <paramref name="clusterSize"/> items (cluster k holds items k, k + clusters, ...),
    /// so a cluster is not a block of consecutive ids. Each user takes <paramref name="perUser"/>
    /// items of its own cluster and, with probability <paramref name="noise"/> per action, a random item.
    /// </summary>
    public static (InteractionDataset View, int[] PlantedCluster) Planted(int clusters = 4, int clusterSize = 15, int users = 240, int perUser = 8, double noise = 0.05, ulong seed = 5)
    {
        var rng = new SeededRandom(seed);
        int items = clusters * clusterSize;
        var planted = new int[items];
        for (int i = 0; i < items; i++) planted[i] = i % clusters;
        var sequences = new int[users][];
        for (int u = 0; u < users; u++)
        {
            int cluster = u % clusters;
            var picked = new List<int>();
            while (picked.Count < perUser)
            {
                int item = rng.NextDouble() < noise ? rng.Next(items) : cluster + clusters * rng.Next(clusterSize);
                if (!picked.Contains(item)) picked.Add(item);
            }
            sequences[u] = picked.ToArray();
        }
        var view = new InteractionDataset("planted", Enumerable.Range(0, users).Select(u => $"u{u}").ToArray(),
            Enumerable.Range(0, items).Select(i => $"i{i}").ToArray(), sequences, null, null);
        return (view, planted);
    }

    /// <summary>A synthetic view of <paramref name="items"/> items.</summary>
    public static InteractionDataset Synthetic(int users = 60, int items = 120, ulong seed = 3)
        => SyntheticGenerator.Generate(new SyntheticOptions { Users = users, Items = items, MeanLength = 12, MinLength = 5, Rank = 4, Seed = seed });

    /// <summary>Hand-made groups: <paramref name="groups"/> groups of <paramref name="size"/> consecutive items, then the targets' group.</summary>
    public static ItemGroups Blocks(int itemCount, int groups, int size, int[] targets)
    {
        var members = new List<IReadOnlyList<int>>();
        var others = Enumerable.Range(0, itemCount).Where(i => !targets.Contains(i)).ToArray();
        for (int g = 0; g < groups; g++) members.Add(others.Skip(g * size).Take(size).ToArray());
        members.Add(targets);
        return new ItemGroups(itemCount, members, groups);
    }

    /// <summary>The toy reward: the share of target items in a profile, per profile.</summary>
    public static FunctionProfileReward TargetShare(int[] targets, int m, Action? onCall = null)
    {
        var set = targets.ToHashSet();
        return new FunctionProfileReward(profiles =>
        {
            onCall?.Invoke();
            return profiles.Select(p => p.Count(set.Contains) / (double)m).ToArray();
        });
    }
}
