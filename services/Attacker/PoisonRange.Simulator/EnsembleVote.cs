namespace PoisonRange.Simulator;

/// <summary>
/// The ensemble's weighted vote (LOKI §3.2: "recommendation results from these models are
/// aggregated via weighted voting"): a truncated Borda count. Model m's item at 0-based rank r of
/// its list gets w_m · (D − r) / D votes when r &lt; D (D the vote depth); items are ranked by their
/// total, ties to the lower item id. Ranks, not raw scores, are combined because the models'
/// score scales are unrelated (BPR dot products, GRU logits, translation distances).
/// </summary>
public static class EnsembleVote
{
    /// <summary>The top <paramref name="k"/> of the vote over <paramref name="lists"/> (each best first).</summary>
    public static int[] TopK(IReadOnlyList<int[]> lists, ReadOnlySpan<double> weights, int depth, int k)
    {
        ArgumentNullException.ThrowIfNull(lists);
        if (weights.Length != lists.Count)
            throw new ArgumentException($"{weights.Length} weights for {lists.Count} model lists.", nameof(weights));
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 0);
        var votes = new Dictionary<int, double>();
        for (int m = 0; m < lists.Count; m++)
        {
            double w = weights[m];
            if (!(w > 0)) continue;
            var list = lists[m];
            int n = Math.Min(depth, list.Length);
            for (int r = 0; r < n; r++)
            {
                double v = w * (depth - r) / depth;
                votes[list[r]] = votes.TryGetValue(list[r], out var old) ? old + v : v;
            }
        }
        return votes
            .OrderByDescending(p => p.Value)
            .ThenBy(p => p.Key)
            .Take(k)
            .Select(p => p.Key)
            .ToArray();
    }
}
