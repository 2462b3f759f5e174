using static PoisonRange.Agent.Strategies.ProfileComposer;

namespace PoisonRange.Agent.Strategies;

/// <summary>
/// RandFilter (Tang et al. §4.2, after Lam and Riedl, adapted to implicit feedback): every fake
/// user clicks the target item set and some randomly chosen other items ("filter items").
/// When the target set does not fit in M, each profile takes a rotating window of k targets.
/// Parameters: <c>targets_per_profile</c> (k, default min(|T|, M − 1), at least 1),
/// <c>filler_items</c> (default M − k). Order is random.
/// </summary>
public sealed class RandFilterStrategy : IAttackStrategy
{
    public string Name => "randfilter";

    public string Description => "The target item set plus randomly chosen filter items (Tang et al. §4.2 RandFilter).";

    public Task<IReadOnlyList<FakeProfileSpec>> GenerateAsync(AttackContext ctx, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.Validate();
        int m = ctx.ActionsPerUser;
        int k = TargetsPerProfile(ctx, Math.Min(ctx.TargetItems.Count, Math.Max(1, m - 1)));
        int fillers = Math.Clamp(ctx.GetInt("filler_items", m - k), 0, m - k);
        var pool = NonTargetItems(ctx);

        var profiles = new List<FakeProfileSpec>(ctx.FakeUsers);
        for (int v = 0; v < ctx.FakeUsers; v++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rng = RandomFor(ctx, Name, v);
            var chosen = RotatingTargets(ctx, v, k).ToList();
            chosen.AddRange(DrawDistinct(rng, pool, fillers, ctx.TargetItems.ToHashSet()));
            rng.Shuffle(chosen);
            profiles.Add(Build(ctx, Name, v, chosen, rng));
            Report(ctx, Name, v + 1);
        }
        return Task.FromResult<IReadOnlyList<FakeProfileSpec>>(profiles);
    }
}
