using PoisonRange.Data;
using PoisonRange.Platform.Stores;

namespace PoisonRange.Platform.Engine;

/// <summary>Builds a victim's training set: the platform's normal users, then every registered account.</summary>
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
        for (int a = 0; a < accounts.Count; a++)
        {
            int u = baseData.UserCount + a;
            var (account, interactions) = accounts[a];
            userIds[u] = account.AccountId;
            accountUsers[account.AccountId] = u;
            // Accounts' interactions in the order they happened (recording order breaks ties).
            var ordered = interactions.Select((x, i) => (x, i)).OrderBy(p => p.x.TimestampMs).ThenBy(p => p.i).Select(p => p.x).ToArray();
            sequences[u] = ordered.Select(x => x.Item).ToArray();
            if (timestamps is not null) timestamps[u] = ordered.Select(x => x.TimestampMs).ToArray();
            if (ratings is not null) ratings[u] = ordered.Select(x => x.Rating ?? defaultRating).ToArray();
        }
        return (new InteractionDataset(baseData.Name, userIds, baseData.ItemIds, sequences, timestamps, ratings), accountUsers);
    }
}
