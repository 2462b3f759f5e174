namespace PoisonRange.Data;

/// <summary>
/// An immutable set of users, items and their interactions, held as one chronological
/// sequence per user. Internal ids are dense (0..UserCount-1, 0..ItemCount-1); the external
/// ids from the source are kept in <see cref="UserIds"/> and <see cref="ItemIds"/>.
/// </summary>
public sealed class InteractionDataset
{
    private readonly Dictionary<string, int> _userIndex;
    private readonly Dictionary<string, int> _itemIndex;

    public InteractionDataset(
        string name,
        IReadOnlyList<string> userIds,
        IReadOnlyList<string> itemIds,
        int[][] sequences,
        long[][]? timestamps,
        float[][]? ratings)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        ArgumentNullException.ThrowIfNull(itemIds);
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Length != userIds.Count)
            throw new ArgumentException($"{sequences.Length} sequences for {userIds.Count} users.", nameof(sequences));
        if (timestamps is not null && timestamps.Length != sequences.Length)
            throw new ArgumentException("Timestamps must have one array per user.", nameof(timestamps));
        if (ratings is not null && ratings.Length != sequences.Length)
            throw new ArgumentException("Ratings must have one array per user.", nameof(ratings));

        Name = name;
        UserIds = userIds;
        ItemIds = itemIds;
        Sequences = sequences;
        Timestamps = timestamps;
        Ratings = ratings;

        long total = 0;
        for (int u = 0; u < sequences.Length; u++)
        {
            var seq = sequences[u] ?? throw new ArgumentException($"User {u} has no sequence.", nameof(sequences));
            if (timestamps is not null && timestamps[u].Length != seq.Length)
                throw new ArgumentException($"User {u}: {timestamps[u].Length} timestamps for {seq.Length} interactions.", nameof(timestamps));
            if (ratings is not null && ratings[u].Length != seq.Length)
                throw new ArgumentException($"User {u}: {ratings[u].Length} ratings for {seq.Length} interactions.", nameof(ratings));
            foreach (var item in seq)
                if ((uint)item >= (uint)itemIds.Count)
                    throw new ArgumentException($"User {u} has item index {item}, outside 0..{itemIds.Count - 1}.", nameof(sequences));
            total += seq.Length;
        }
        InteractionCount = total;

        _userIndex = new Dictionary<string, int>(userIds.Count, StringComparer.Ordinal);
        for (int i = 0; i < userIds.Count; i++)
            if (!_userIndex.TryAdd(userIds[i], i))
                throw new ArgumentException($"Duplicate user id '{userIds[i]}'.", nameof(userIds));
        _itemIndex = new Dictionary<string, int>(itemIds.Count, StringComparer.Ordinal);
        for (int i = 0; i < itemIds.Count; i++)
            if (!_itemIndex.TryAdd(itemIds[i], i))
                throw new ArgumentException($"Duplicate item id '{itemIds[i]}'.", nameof(itemIds));
    }

    /// <summary>A short name for reports (file name, "synthetic", ...).</summary>
    public string Name { get; }

    /// <summary>External user ids; the index is the internal user id.</summary>
    public IReadOnlyList<string> UserIds { get; }

    /// <summary>External item ids; the index is the internal item id.</summary>
    public IReadOnlyList<string> ItemIds { get; }

    /// <summary>Per user, the interacted items in chronological order (ties keep source order).</summary>
    public int[][] Sequences { get; }

    /// <summary>Per user, the Unix time in milliseconds of each interaction; null when the source has none.</summary>
    public long[][]? Timestamps { get; }

    /// <summary>Per user, the rating of each interaction; null when the source has none (implicit feedback).</summary>
    public float[][]? Ratings { get; }

    public int UserCount => UserIds.Count;
    public int ItemCount => ItemIds.Count;
    public long InteractionCount { get; }
    public bool HasTimestamps => Timestamps is not null;
    public bool HasRatings => Ratings is not null;

    public bool TryGetUser(string externalId, out int user) => _userIndex.TryGetValue(externalId, out user);
    public bool TryGetItem(string externalId, out int item) => _itemIndex.TryGetValue(externalId, out item);

    /// <summary>Number of interactions per item (counting repeats).</summary>
    public int[] ItemPopularity()
    {
        var counts = new int[ItemCount];
        foreach (var seq in Sequences)
            foreach (var item in seq)
                counts[item]++;
        return counts;
    }

    /// <summary>Returns a dataset with the same users and items and the given sequences (ids unchanged).</summary>
    public InteractionDataset WithSequences(int[][] sequences, long[][]? timestamps, float[][]? ratings, string? name = null)
        => new(name ?? Name, UserIds, ItemIds, sequences, timestamps, ratings);

    public override string ToString() => $"{Name}: {UserCount} users, {ItemCount} items, {InteractionCount} interactions";
}
