using System.Globalization;
using PoisonRange.Data;

namespace PoisonRange.Range.Targets;

/// <summary>
/// A popularity band of the catalogue as percentiles of items ranked from least to most
/// popular: "unpopular" is the bottom half [0, 50), "popular" the top half [50, 100], "all"
/// everything, and "lo-hi" any percentile range (e.g. "0-20" for the long tail).
/// </summary>
public readonly record struct TargetBand(double LowPercent, double HighPercent)
{
    public static readonly TargetBand All = new(0, 100);

    public static bool TryParse(string? text, out TargetBand band, out string? problem)
    {
        band = All;
        problem = null;
        var t = text?.Trim().ToLowerInvariant() ?? "";
        switch (t)
        {
            case "all":
                return true;
            case "unpopular":
                band = new TargetBand(0, 50);
                return true;
            case "popular":
                band = new TargetBand(50, 100);
                return true;
        }
        var parts = t.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lo)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var hi)
            && lo >= 0 && hi <= 100 && lo < hi)
        {
            band = new TargetBand(lo, hi);
            return true;
        }
        problem = $"must be all, unpopular, popular or a percentile range such as 0-20 (got '{text}')";
        return false;
    }

    public static TargetBand Parse(string text) =>
        TryParse(text, out var band, out var problem) ? band : throw new FormatException(problem);

    public override string ToString() => this == All ? "all" : $"{LowPercent.ToString(CultureInfo.InvariantCulture)}-{HighPercent.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>What the range knows of the catalogue and its users, to choose targets from.</summary>
/// <param name="Items">Every item id of the catalogue.</param>
/// <param name="Popularity">Public interactions per item id (missing: 0).</param>
/// <param name="UserHistories">Public history (item ids) per normal user id.</param>
public sealed record CatalogueView(
    IReadOnlyList<string> Items,
    IReadOnlyDictionary<string, int> Popularity,
    IReadOnlyDictionary<string, IReadOnlyCollection<string>> UserHistories);

/// <summary>Seeded choice of target items (by popularity band) and target users.</summary>
public static class TargetSelector
{
    private const ulong ItemStream = 0x7461726765747331; // "targets1"
    private const ulong UserStream = 0x7573657273303031; // "users001"

    /// <summary>
    /// The items of <paramref name="band"/>: items sorted by public popularity (ascending, ties by
    /// id) and cut at the band's percentiles. Never empty for a non-empty catalogue.
    /// </summary>
    public static IReadOnlyList<string> ItemsInBand(CatalogueView view, TargetBand band)
    {
        var ranked = view.Items
            .Distinct(StringComparer.Ordinal)
            .Select(id => (Id: id, Count: view.Popularity.TryGetValue(id, out var c) ? c : 0))
            .OrderBy(x => x.Count)
            .ThenBy(x => x.Id, StringComparer.Ordinal)
            .Select(x => x.Id)
            .ToList();
        int n = ranked.Count;
        if (n == 0) return [];
        int from = (int)Math.Floor(band.LowPercent / 100.0 * n);
        int to = (int)Math.Ceiling(band.HighPercent / 100.0 * n);
        from = Math.Clamp(from, 0, n - 1);
        to = Math.Clamp(to, from + 1, n);
        return ranked.GetRange(from, to - from);
    }

    /// <summary>
    /// <paramref name="count"/> target items drawn uniformly (seeded) from the band, in catalogue
    /// popularity order; explicit ids are checked against the catalogue and kept as given.
    /// </summary>
    public static IReadOnlyList<string> ChooseItems(CatalogueView view, TargetBand band, int count, ulong seed, IReadOnlyList<string>? explicitIds = null)
    {
        if (explicitIds is { Count: > 0 })
        {
            var known = view.Items.ToHashSet(StringComparer.Ordinal);
            var missing = explicitIds.Where(id => !known.Contains(id)).ToList();
            if (missing.Count > 0)
                throw new TargetSelectionException($"target item{(missing.Count > 1 ? "s" : "")} not in the catalogue: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")}");
            return explicitIds.ToList();
        }
        var pool = ItemsInBand(view, band);
        if (pool.Count < count)
            throw new TargetSelectionException($"popularity band '{band}' holds {pool.Count} item(s); {count} target items were asked for");
        var rng = SeededRandom.Derive(seed, ItemStream);
        return rng.SampleWithoutReplacement(pool.Count, count).Select(i => pool[i]).ToList();
    }

    /// <summary>
    /// <paramref name="count"/> target users drawn uniformly (seeded) from the normal users whose
    /// public history holds none of <paramref name="targetItems"/>; explicit ids are kept as given.
    /// </summary>
    public static IReadOnlyList<string> ChooseUsers(CatalogueView view, IReadOnlyList<string> targetItems, int count, ulong seed, IReadOnlyList<string>? explicitIds = null)
    {
        if (explicitIds is { Count: > 0 })
        {
            if (view.UserHistories.Count > 0)
            {
                var missing = explicitIds.Where(id => !view.UserHistories.ContainsKey(id)).ToList();
                if (missing.Count > 0)
                    throw new TargetSelectionException($"target user{(missing.Count > 1 ? "s" : "")} not among the platform's users: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")}");
            }
            return explicitIds.ToList();
        }
        var targets = targetItems.ToHashSet(StringComparer.Ordinal);
        var pool = view.UserHistories
            .Where(kv => !kv.Value.Any(targets.Contains))
            .Select(kv => kv.Key)
            .OrderBy(id => id, StringComparer.Ordinal)
            .ToList();
        if (pool.Count < count)
            throw new TargetSelectionException($"only {pool.Count} user(s) have not interacted with the target items; {count} target users were asked for");
        var rng = SeededRandom.Derive(seed, UserStream);
        return rng.SampleWithoutReplacement(pool.Count, count).Select(i => pool[i]).ToList();
    }
}

/// <summary>Targets cannot be chosen as asked; the message is shown as one line.</summary>
public sealed class TargetSelectionException(string message) : Exception(message);
