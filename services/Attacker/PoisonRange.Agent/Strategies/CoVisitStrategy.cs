using static PoisonRange.Agent.Strategies.ProfileComposer;

namespace PoisonRange.Agent.Strategies;

/// <summary>
/// Co-visit attack (LOKI §4.2.1, a variant of Yang et al.'s fake co-visitation injection): fake
/// co-visitations between the items the target users already chose and the target items.
/// Fake user v serves target user v mod |U|: it replays that user's most recent distinct items
/// (then other target users' items if the history is short) in their order, each followed by a
/// target item, so the sequence ends with (the user's latest item, a target), the transition a
/// next-item model learns. Parameters: <c>targets_per_profile</c> (k, default min(|T|, M/2)),
/// <c>history_items</c> (default M − k).
/// </summary>
public sealed class CoVisitStrategy : IAttackStrategy
{
    public string Name => "covisit";

    public string Description => "Target items interleaved with the target users' own recent items, faking co-visitations (LOKI §4.2.1 Co-visit).";

    public Task<IReadOnlyList<FakeProfileSpec>> GenerateAsync(AttackContext ctx, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.Validate();
        if (ctx.TargetUsers.Count == 0)
            throw new ArgumentException("The covisit strategy needs target users (their histories give the co-visited items).");
        int m = ctx.ActionsPerUser;
        int k = TargetsPerProfile(ctx, Math.Min(ctx.TargetItems.Count, HalfBudget(ctx)));
        int h = Math.Clamp(ctx.GetInt("history_items", m - k), 0, m - k);
        var targetSet = ctx.TargetItems.ToHashSet();

        var profiles = new List<FakeProfileSpec>(ctx.FakeUsers);
        for (int v = 0; v < ctx.FakeUsers; v++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rng = RandomFor(ctx, Name, v);
            var targets = RotatingTargets(ctx, v, k);
            var history = RecentItems(ctx, v, h, targetSet);

            // Chronological: older history alone, then (history item, target) pairs ending with the latest.
            var sequence = new List<int>(m);
            int pairs = Math.Min(targets.Length, history.Count);
            for (int i = history.Count - 1; i >= pairs; i--) sequence.Add(history[i]);
            for (int i = pairs - 1; i >= 0; i--)
            {
                sequence.Add(history[i]);
                sequence.Add(targets[i]);
            }
            for (int i = pairs; i < targets.Length; i++) sequence.Add(targets[i]);
            profiles.Add(Build(ctx, Name, v, sequence, rng));
            Report(ctx, Name, v + 1);
        }
        return Task.FromResult<IReadOnlyList<FakeProfileSpec>>(profiles);
    }

    /// <summary>
    /// Up to <paramref name="count"/> distinct non-target items, most recent first, from target
    /// user v mod |U| and then from the following target users.
    /// </summary>
    private static List<int> RecentItems(AttackContext ctx, int v, int count, HashSet<int> targets)
    {
        var result = new List<int>(count);
        var seen = new HashSet<int>();
        var users = ctx.TargetUsers;
        for (int j = 0; j < users.Count && result.Count < count; j++)
        {
            var seq = ctx.View.Sequences[users[(v + j) % users.Count]];
            for (int i = seq.Length - 1; i >= 0 && result.Count < count; i--)
                if (!targets.Contains(seq[i]) && seen.Add(seq[i]))
                    result.Add(seq[i]);
        }
        return result;
    }
}
