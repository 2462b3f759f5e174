namespace PoisonRange.Data;

/// <summary>k-core filtering of users and items.</summary>
public static class KCore
{
    /// <summary>
    /// Repeatedly removes users with fewer than <paramref name="minPerUser"/> interactions and
    /// items with fewer than <paramref name="minPerItem"/> interactions until both conditions
    /// hold for everyone left. Repeated interactions count each time. The result has dense ids
    /// (surviving users and items keep their relative order) and keeps the external ids,
    /// timestamps and ratings; sequences keep their order.
    /// </summary>
    public static InteractionDataset Filter(InteractionDataset d, int minPerUser, int minPerItem)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentOutOfRangeException.ThrowIfNegative(minPerUser);
        ArgumentOutOfRangeException.ThrowIfNegative(minPerItem);

        var userAlive = new bool[d.UserCount];
        var itemAlive = new bool[d.ItemCount];
        Array.Fill(userAlive, true);
        Array.Fill(itemAlive, true);
        var userCount = new int[d.UserCount];
        var itemCount = new int[d.ItemCount];

        bool changed = true;
        while (changed)
        {
            changed = false;
            Array.Clear(itemCount);
            for (int u = 0; u < d.UserCount; u++)
            {
                if (!userAlive[u]) continue;
                int c = 0;
                foreach (var i in d.Sequences[u]) if (itemAlive[i]) c++;
                userCount[u] = c;
                if (c < minPerUser)
                {
                    userAlive[u] = false;
                    changed = true;
                    continue;
                }
                foreach (var i in d.Sequences[u]) if (itemAlive[i]) itemCount[i]++;
            }
            for (int i = 0; i < d.ItemCount; i++)
            {
                if (itemAlive[i] && itemCount[i] < minPerItem)
                {
                    itemAlive[i] = false;
                    changed = true;
                }
            }
        }

        var itemMap = new int[d.ItemCount];
        var itemIds = new List<string>();
        for (int i = 0; i < d.ItemCount; i++)
        {
            itemMap[i] = itemAlive[i] ? itemIds.Count : -1;
            if (itemAlive[i]) itemIds.Add(d.ItemIds[i]);
        }

        var userIds = new List<string>();
        var sequences = new List<int[]>();
        var times = d.Timestamps is null ? null : new List<long[]>();
        var ratings = d.Ratings is null ? null : new List<float[]>();
        var keep = new List<int>();
        for (int u = 0; u < d.UserCount; u++)
        {
            if (!userAlive[u]) continue;
            var seq = d.Sequences[u];
            keep.Clear();
            for (int p = 0; p < seq.Length; p++) if (itemAlive[seq[p]]) keep.Add(p);
            var mapped = new int[keep.Count];
            for (int k = 0; k < keep.Count; k++) mapped[k] = itemMap[seq[keep[k]]];
            userIds.Add(d.UserIds[u]);
            sequences.Add(mapped);
            times?.Add(SequenceOps.Select(d.Timestamps![u], keep));
            ratings?.Add(SequenceOps.Select(d.Ratings![u], keep));
        }
        return new InteractionDataset(d.Name, userIds, itemIds, [.. sequences], times?.ToArray(), ratings?.ToArray());
    }
}
