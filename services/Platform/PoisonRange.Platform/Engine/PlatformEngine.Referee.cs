using PoisonRange.Data;

namespace PoisonRange.Platform.Engine;

// The operator's Referee API, besides Configure and Retrain: evaluation, status, ground truth.
public sealed partial class PlatformEngine
{
    /// <summary>
    /// Display rate of the target items over the target users, and HR_t@K per target item and
    /// averaged, over the normal users who had not interacted with the item; both by the
    /// definitions of <see cref="Metrics.DisplayRate"/> and <see cref="Metrics.ItemHitRatios"/>
    /// (targets counted once; an item every normal user has seen left out of the mean and
    /// reported; an empty target set refused). Attacker accounts are never part of either
    /// population; every user's seen items are masked.
    /// </summary>
    public TargetEvaluation Evaluate(IReadOnlyList<string> targetItems, IReadOnlyList<string> targetUsers, int k)
    {
        var runtime = Running();
        var data = runtime.Base;
        if (k <= 0) throw new RefusedException(Refusal.InvalidArgument, $"k must be positive, got {k}.");
        if (targetItems.Count == 0) throw new RefusedException(Refusal.InvalidArgument, "target_items is empty.");
        if (targetUsers.Count == 0) throw new RefusedException(Refusal.InvalidArgument, "target_users is empty.");
        var items = new int[targetItems.Count];
        for (int i = 0; i < items.Length; i++)
            if (!data.TryGetItem(targetItems[i], out items[i]))
                throw new RefusedException(Refusal.NotFound, $"target item '{targetItems[i]}' is not in the catalogue.");
        var users = new int[targetUsers.Count];
        for (int i = 0; i < users.Length; i++)
            if (!data.TryGetUser(targetUsers[i], out users[i]))
                throw new RefusedException(Refusal.NotFound, $"target user '{targetUsers[i]}' is not a normal user of this platform.");

        var serving = runtime.Serving;
        var topK = new int[data.UserCount][];
        Parallel.For(0, data.UserCount, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => new float[data.ItemCount],
            (u, _, scores) =>
            {
                serving.Model.ScoreUser(u, scores);
                topK[u] = TopK.Select(scores, k, data.Sequences[u]);
                return scores;
            },
            _ => { });

        var hitRatios = Metrics.ItemHitRatios(topK, items, data.Sequences);
        return new TargetEvaluation(
            Metrics.DisplayRate(topK, users, items),
            hitRatios.Mean,
            [.. hitRatios.Items.Select(h => new ItemHitRatioResult(data.ItemIds[h.Item], h.Ratio, h.Eligible))],
            [.. hitRatios.Excluded.Select(t => data.ItemIds[t])],
            users.Distinct().Count(),
            data.UserCount,
            serving.Version);
    }

    /// <summary>The platform's state; without a scenario, only the store kind and whether a training runs.</summary>
    public async Task<PlatformStatus> GetStatusAsync(CancellationToken ct)
    {
        if (Current is not { HasServing: true } runtime) return new PlatformStatus(_store.Kind, IsTraining, null);
        var serving = runtime.Serving;
        var count = await _store.GetInteractionCountAsync(ct);
        var accounts = await _store.ListAccountsAsync(null, ct);
        return new PlatformStatus(_store.Kind, IsTraining, new ScenarioStatus(
            runtime.Scenario.Name,
            runtime.Scenario.Victim.Kind,
            serving.Version,
            runtime.Base.UserCount,
            runtime.Base.ItemCount,
            runtime.Base.InteractionCount + count,
            accounts.Count,
            count - serving.InteractionCount,
            serving.TrainedAt.ToUnixTimeMilliseconds(),
            serving.TrainSeconds,
            runtime.Retrains));
    }

    /// <summary>Ground truth: every registered account (of one key, when given) and whether it is fake.</summary>
    public async Task<IReadOnlyList<AccountSummary>> ListAccountsAsync(string? ownerKey, CancellationToken ct)
    {
        var runtime = Running();
        var accounts = await _store.ListAccountsAsync(string.IsNullOrEmpty(ownerKey) ? null : ownerKey, ct);
        return [.. accounts.Select(a => new AccountSummary(a.AccountId, a.OwnerKey, runtime.AttackerKeys.Contains(a.OwnerKey), a.Actions, a.RegisteredUnixMs, a.Flagged))];
    }

    /// <summary>"memory" or "redis".</summary>
    public string StoreKind => _store.Kind;

    /// <summary>Asks the store for its interaction count: throws when the store does not answer.</summary>
    public async Task<StoreProbe> ProbeStoreAsync(CancellationToken ct) =>
        new(_store.Kind, await _store.GetInteractionCountAsync(ct).ConfigureAwait(false));
}
