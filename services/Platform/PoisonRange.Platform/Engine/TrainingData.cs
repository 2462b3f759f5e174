using PoisonRange.Data;
using PoisonRange.Platform.Stores;

namespace PoisonRange.Platform.Engine;

/// <summary>
/// Builds a victim's training set: the platform's normal users, then every registered account in
/// a canonical order that depends only on what the accounts recorded, never on the order in which
/// they registered. Registration order is a race whenever accounts are created concurrently (the
/// injector delivers profiles in parallel), and a model's seeded sampling walks users by index:
/// ordering by arrival made the same seed and the same injected profiles train different models.
/// </summary>
internal static class TrainingData
{
    public static (InteractionDataset Data, IReadOnlyDictionary<string, int> AccountUsers) Build(
        InteractionDataset baseData,
        IReadOnlyList<(AccountRecord Account, IReadOnlyList<StoredInteraction> Interactions)> accounts,
        float defaultRating)
    {
        var accountUsers = new Dictionary<string, int>(StringComparer.Ordinal);
        if (accounts.Count == 0) return (baseData, accountUsers);

        int users = baseData.UserCount + accounts.Count;
        var userIds = new string[users];
        var sequences = new int[users][];
        var timestamps = baseData.Timestamps is null ? null : new long[users][];
        var ratings = baseData.Ratings is null ? null : new float[users][];
        for (int u = 0; u < baseData.UserCount; u++)
        {
            userIds[u] = baseData.UserIds[u];
            sequences[u] = baseData.Sequences[u];
            if (timestamps is not null) timestamps[u] = baseData.Timestamps![u];
            if (ratings is not null) ratings[u] = baseData.Ratings![u];
        }
        // Each account's interactions in the order they happened (recording order breaks ties).
        var recorded = accounts
            .Select(a => (a.Account, Interactions: a.Interactions.Select((x, i) => (x, i)).OrderBy(p => p.x.TimestampMs).ThenBy(p => p.i).Select(p => p.x).ToArray()))
            .ToArray();
        Array.Sort(recorded, (a, b) => CompareCanonical(a.Account, a.Interactions, b.Account, b.Interactions, defaultRating));
        for (int a = 0; a < recorded.Length; a++)
        {
            int u = baseData.UserCount + a;
            var (account, ordered) = recorded[a];
            userIds[u] = account.AccountId;
            accountUsers[account.AccountId] = u;
            sequences[u] = ordered.Select(x => x.Item).ToArray();
            if (timestamps is not null) timestamps[u] = ordered.Select(x => x.TimestampMs).ToArray();
            if (ratings is not null) ratings[u] = ordered.Select(x => x.Rating ?? defaultRating).ToArray();
        }
        return (new InteractionDataset(baseData.Name, userIds, baseData.ItemIds, sequences, timestamps, ratings), accountUsers);
    }

    /// <summary>
    /// The canonical order of accounts: by their item sequences (lexicographic on item indices,
    /// a prefix first), then by their ratings, then by registration order. Accounts that recorded
    /// the same items with the same ratings are interchangeable for training, so the last key only
    /// makes the order total.
    /// </summary>
    internal static int CompareCanonical(AccountRecord a, StoredInteraction[] x, AccountRecord b, StoredInteraction[] y, float defaultRating)
    {
        int n = Math.Min(x.Length, y.Length);
        for (int i = 0; i < n; i++)
        {
            int c = x[i].Item.CompareTo(y[i].Item);
            if (c != 0) return c;
        }
        int byLength = x.Length.CompareTo(y.Length);
        if (byLength != 0) return byLength;
        for (int i = 0; i < n; i++)
        {
            int c = (x[i].Rating ?? defaultRating).CompareTo(y[i].Rating ?? defaultRating);
            if (c != 0) return c;
        }
        return a.Sequence.CompareTo(b.Sequence);
    }
}
