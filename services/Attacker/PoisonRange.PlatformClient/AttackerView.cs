using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Data;

namespace PoisonRange.Client;

/// <summary>Options for turning a crawl into an attacker's dataset.</summary>
public sealed class AttackerViewOptions
{
    /// <summary>Name of the resulting dataset, for reports.</summary>
    public string Name { get; init; } = "platform-crawl";

    /// <summary>Users to leave out, e.g. the attacker's own accounts from an earlier injection.</summary>
    public IReadOnlySet<string>? ExcludeUsers { get; init; }

    /// <summary>Keep crawled users whose history is empty (after dropping unknown items).</summary>
    public bool KeepEmptyUsers { get; init; }
}

/// <summary>What a crawl gave the attacker, in dataset form, and what had to be left out.</summary>
public sealed record AttackerViewStats(int Users, int Items, long Interactions, int DroppedUnknownItems, int MergedDuplicateUsers, int ExcludedUsers);

/// <summary>
/// Builds the attacker's view of the platform, an <see cref="InteractionDataset"/> with dense
/// indices, from crawled histories and the item catalogue. External ids are kept
/// (<see cref="InteractionDataset.UserIds"/>, <see cref="InteractionDataset.ItemIds"/>), so
/// strategies work on indices and their output maps back to platform ids.
/// </summary>
public static class AttackerView
{
    /// <summary>
    /// Item indices follow catalogue order; user indices follow crawl order. Each user's
    /// interactions are sorted by timestamp (stable). Interactions with items outside the
    /// catalogue are dropped. Ratings are kept only when every kept interaction has one.
    /// </summary>
    public static InteractionDataset FromCrawl(IEnumerable<UserHistory> histories, IEnumerable<Item> catalogue, AttackerViewOptions? options = null)
        => FromCrawl(histories, catalogue.Select(i => i.ItemId), options, out _);

    public static InteractionDataset FromCrawl(IEnumerable<UserHistory> histories, IEnumerable<string> catalogueItemIds, AttackerViewOptions? options, out AttackerViewStats stats)
    {
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(catalogueItemIds);
        options ??= new AttackerViewOptions();

        var itemIds = new List<string>();
        var itemIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var id in catalogueItemIds)
            if (!string.IsNullOrEmpty(id) && itemIndex.TryAdd(id, itemIds.Count))
                itemIds.Add(id);

        // Merge repeated users (a platform may list a user on two pages) in crawl order.
        var order = new List<string>();
        var byUser = new Dictionary<string, List<Interaction>>(StringComparer.Ordinal);
        int merged = 0, excluded = 0, dropped = 0;
        foreach (var h in histories)
        {
            if (options.ExcludeUsers?.Contains(h.UserId) == true) { excluded++; continue; }
            if (!byUser.TryGetValue(h.UserId, out var list))
            {
                list = [];
                byUser.Add(h.UserId, list);
                order.Add(h.UserId);
            }
            else
            {
                merged++;
            }
            foreach (var x in h.Interactions)
            {
                if (itemIndex.ContainsKey(x.ItemId)) list.Add(x);
                else dropped++;
            }
        }

        var userIds = new List<string>(order.Count);
        var sequences = new List<int[]>(order.Count);
        var timestamps = new List<long[]>(order.Count);
        var ratings = new List<float[]>(order.Count);
        bool allRated = true;
        long total = 0;
        foreach (var user in order)
        {
            var list = byUser[user];
            if (list.Count == 0 && !options.KeepEmptyUsers) continue;
            var sorted = list.OrderBy(x => x.TimestampMs).ToArray();
            userIds.Add(user);
            sequences.Add(Array.ConvertAll(sorted, x => itemIndex[x.ItemId]));
            timestamps.Add(Array.ConvertAll(sorted, x => x.TimestampMs));
            ratings.Add(Array.ConvertAll(sorted, x => x.HasRating ? x.Rating : float.NaN));
            allRated &= sorted.All(x => x.HasRating);
            total += sorted.Length;
        }
        if (total == 0) allRated = false;

        stats = new AttackerViewStats(userIds.Count, itemIds.Count, total, dropped, merged, excluded);
        return new InteractionDataset(
            options.Name,
            userIds,
            itemIds,
            sequences.ToArray(),
            timestamps.ToArray(),
            allRated ? ratings.ToArray() : null);
    }
}
