using System.Buffers;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Data;

namespace PoisonRange.Platform.Engine;

public sealed partial class PlatformEngine
{
    /// <summary>Top-k items for an account's history, seen items excluded.</summary>
    public int[] RecommendForAccount(ScenarioRuntime runtime, string accountId, ReadOnlySpan<int> history, int k)
    {
        var serving = runtime.Serving;
        int items = runtime.Base.ItemCount;
        if (!serving.AccountUsers.TryGetValue(accountId, out int user))
        {
            // An account the model has not trained on: fold its history in once per history
            // length and model, as a platform caches a new user's vector until the next retrain.
            if (serving.FoldIns.TryGetValue(accountId, out var cached) && cached.HistoryLength == history.Length)
                return TopK.Select(cached.Scores, k, history);
            var folded = new float[items];
            serving.Model.ScoreHistory(history, folded);
            if (serving.FoldIns.Count < ServingModel.MaxCachedFoldIns)
                serving.FoldIns[accountId] = new FoldInScores(history.Length, folded);
            return TopK.Select(folded, k, history);
        }
        var scores = ArrayPool<float>.Shared.Rent(items);
        try
        {
            var span = scores.AsSpan(0, items);
            serving.Model.ScoreUser(user, span);
            return TopK.Select(span, k, history);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    /// <summary>
    /// Display rate of the target items over the target users, and HR_t@K averaged over target
    /// items, over normal users who had not interacted with t. Attacker accounts are never part
    /// of either population; every user's seen items are masked.
    /// </summary>
    public EvaluateReply Evaluate(IReadOnlyList<string> targetItems, IReadOnlyList<string> targetUsers, int k)
    {
        var runtime = Current ?? throw new ScenarioException("No scenario is configured.");
        var data = runtime.Base;
        if (k <= 0) throw new ArgumentException($"k must be positive, got {k}.");
        if (targetItems.Count == 0) throw new ArgumentException("target_items is empty.");
        var items = new int[targetItems.Count];
        for (int i = 0; i < items.Length; i++)
            if (!data.TryGetItem(targetItems[i], out items[i]))
                throw new KeyNotFoundException($"target item '{targetItems[i]}' is not in the catalogue.");
        var users = new int[targetUsers.Count];
        for (int i = 0; i < users.Length; i++)
            if (!data.TryGetUser(targetUsers[i], out users[i]))
                throw new KeyNotFoundException($"target user '{targetUsers[i]}' is not a normal user of this platform.");

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

        var targetSet = new HashSet<int>(items);
        int displayed = 0;
        foreach (var u in users)
            if (topK[u].Any(targetSet.Contains)) displayed++;

        var reply = new EvaluateReply
        {
            DisplayRate = users.Length == 0 ? 0 : (double)displayed / users.Length,
            TargetUsersEvaluated = users.Length,
            NormalUsers = data.UserCount,
            ModelVersion = serving.Version,
        };
        double sum = 0;
        foreach (var t in items)
        {
            int population = 0, hits = 0;
            for (int u = 0; u < data.UserCount; u++)
            {
                if (runtime.BaseSeen[u].Contains(t)) continue;
                population++;
                if (Array.IndexOf(topK[u], t) >= 0) hits++;
            }
            double ratio = population == 0 ? 0 : (double)hits / population;
            sum += ratio;
            reply.Items.Add(new ItemHitRatio { ItemId = data.ItemIds[t], HitRatio = ratio, Population = population });
        }
        reply.MeanItemHitRatio = sum / items.Length;
        return reply;
    }
}
