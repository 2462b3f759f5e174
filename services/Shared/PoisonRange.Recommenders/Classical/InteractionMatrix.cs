using PoisonRange.Data;

namespace PoisonRange.Recommenders.Classical;

/// <summary>How the value of a (user, item) cell is taken from a dataset.</summary>
internal enum CellValue
{
    /// <summary>1 for every observed pair (implicit feedback).</summary>
    One,

    /// <summary>The mean of the pair's ratings when the dataset has ratings, else 1.</summary>
    MeanRating,
}

/// <summary>
/// The distinct observed (user, item) pairs of a dataset as compressed sparse rows, both
/// user-major and item-major, with one value per pair. Column indices are sorted within a row,
/// so every traversal is in a fixed order (which keeps the models deterministic).
/// </summary>
internal sealed class InteractionMatrix
{
    private InteractionMatrix(int users, int items, int[] userOffsets, int[] userItems, float[] userValues,
        int[] itemOffsets, int[] itemUsers, float[] itemValues)
    {
        Users = users;
        Items = items;
        UserOffsets = userOffsets;
        UserItems = userItems;
        UserValues = userValues;
        ItemOffsets = itemOffsets;
        ItemUsers = itemUsers;
        ItemValues = itemValues;
    }

    public int Users { get; }
    public int Items { get; }
    public int Count => UserItems.Length;

    /// <summary>Row u spans [UserOffsets[u], UserOffsets[u + 1]) of <see cref="UserItems"/> and <see cref="UserValues"/>.</summary>
    public int[] UserOffsets { get; }
    public int[] UserItems { get; }
    public float[] UserValues { get; }

    /// <summary>Column i spans [ItemOffsets[i], ItemOffsets[i + 1]) of <see cref="ItemUsers"/> and <see cref="ItemValues"/>.</summary>
    public int[] ItemOffsets { get; }
    public int[] ItemUsers { get; }
    public float[] ItemValues { get; }

    public ReadOnlySpan<int> ItemsOf(int user) => UserItems.AsSpan(UserOffsets[user], UserOffsets[user + 1] - UserOffsets[user]);
    public ReadOnlySpan<float> ValuesOfUser(int user) => UserValues.AsSpan(UserOffsets[user], UserOffsets[user + 1] - UserOffsets[user]);
    public ReadOnlySpan<int> UsersOf(int item) => ItemUsers.AsSpan(ItemOffsets[item], ItemOffsets[item + 1] - ItemOffsets[item]);
    public ReadOnlySpan<float> ValuesOfItem(int item) => ItemValues.AsSpan(ItemOffsets[item], ItemOffsets[item + 1] - ItemOffsets[item]);

    /// <summary>The mean of the stored values (1 when there are none).</summary>
    public double MeanValue()
    {
        if (UserValues.Length == 0) return 1;
        double sum = 0;
        foreach (var v in UserValues) sum += v;
        return sum / UserValues.Length;
    }

    public static InteractionMatrix FromDataset(InteractionDataset data, CellValue value)
    {
        ArgumentNullException.ThrowIfNull(data);
        bool useRatings = value == CellValue.MeanRating && data.Ratings is not null;
        int users = data.UserCount, items = data.ItemCount;
        var userOffsets = new int[users + 1];
        var rows = new (int[] Items, float[] Values)[users];
        long total = 0;
        for (int u = 0; u < users; u++)
        {
            var sequence = data.Sequences[u];
            var order = new int[sequence.Length];
            for (int t = 0; t < order.Length; t++) order[t] = t;
            var keys = (int[])sequence.Clone();
            Array.Sort(keys, order);
            var distinct = new List<int>(keys.Length);
            var values = new List<float>(keys.Length);
            for (int t = 0; t < keys.Length;)
            {
                int end = t;
                double sum = 0;
                while (end < keys.Length && keys[end] == keys[t])
                {
                    if (useRatings) sum += data.Ratings![u][order[end]];
                    end++;
                }
                distinct.Add(keys[t]);
                values.Add(useRatings ? (float)(sum / (end - t)) : 1f);
                t = end;
            }
            rows[u] = (distinct.ToArray(), values.ToArray());
            total += distinct.Count;
            if (total > int.MaxValue)
                throw new ArgumentException($"{data} has more than {int.MaxValue} distinct pairs.", nameof(data));
            userOffsets[u + 1] = (int)total;
        }

        var userItems = new int[total];
        var userValues = new float[total];
        for (int u = 0; u < users; u++)
        {
            rows[u].Items.CopyTo(userItems, userOffsets[u]);
            rows[u].Values.CopyTo(userValues, userOffsets[u]);
        }
        return FromUserRows(users, items, userOffsets, userItems, userValues);
    }

    /// <summary>Builds the item-major copy of user-major rows (sorted columns, no duplicates).</summary>
    public static InteractionMatrix FromUserRows(int users, int items, int[] userOffsets, int[] userItems, float[] userValues)
    {
        if (userOffsets.Length != users + 1 || userOffsets[0] != 0 || userOffsets[users] != userItems.Length || userValues.Length != userItems.Length)
            throw new ArgumentException("The user rows are inconsistent.");
        var itemOffsets = new int[items + 1];
        for (int u = 0; u < users; u++)
        {
            if (userOffsets[u + 1] < userOffsets[u]) throw new ArgumentException("The user offsets are not monotone.");
            for (int k = userOffsets[u]; k < userOffsets[u + 1]; k++)
            {
                int item = userItems[k];
                if ((uint)item >= (uint)items) throw new ArgumentException($"Item {item} is outside 0..{items - 1}.");
                if (k > userOffsets[u] && userItems[k - 1] >= item) throw new ArgumentException("User rows must be sorted and free of duplicates.");
                itemOffsets[item + 1]++;
            }
        }
        for (int i = 0; i < items; i++) itemOffsets[i + 1] += itemOffsets[i];
        var cursor = (int[])itemOffsets.Clone();
        var itemUsers = new int[userItems.Length];
        var itemValues = new float[userItems.Length];
        for (int u = 0; u < users; u++)
        {
            for (int k = userOffsets[u]; k < userOffsets[u + 1]; k++)
            {
                int slot = cursor[userItems[k]]++;
                itemUsers[slot] = u;
                itemValues[slot] = userValues[k];
            }
        }
        return new InteractionMatrix(users, items, userOffsets, userItems, userValues, itemOffsets, itemUsers, itemValues);
    }

    /// <summary>The sorted distinct items of <paramref name="history"/>, checked against the catalogue size.</summary>
    public static int[] DistinctItems(ReadOnlySpan<int> history, int items, string parameterName = "history")
    {
        foreach (var item in history)
            if ((uint)item >= (uint)items)
                throw new ArgumentOutOfRangeException(parameterName, item, $"History item {item} is outside 0..{items - 1}.");
        var sorted = history.ToArray();
        Array.Sort(sorted);
        int n = 0;
        for (int t = 0; t < sorted.Length; t++)
            if (t == 0 || sorted[t] != sorted[t - 1]) sorted[n++] = sorted[t];
        return n == sorted.Length ? sorted : sorted[..n];
    }
}
