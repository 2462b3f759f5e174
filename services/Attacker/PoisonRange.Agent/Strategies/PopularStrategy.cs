using static PoisonRange.Agent.Strategies.ProfileComposer;

namespace PoisonRange.Agent.Strategies;

/// <summary>
/// Popular / bandwagon attack (LOKI §4.2.1 "Popular"; Huang §V-A "Bandwagon"): each profile has
/// its target items and n = M − k filler items, of which round(n × 10%) (at least one when
/// n ≥ 1) are drawn from the 10% most popular items (by interaction count in the view) and the
/// rest from the remaining, less popular items, all at random and in random order.
/// Parameters: <c>targets_per_profile</c> (k, default min(|T|, M/2)), <c>head_fraction</c>
/// (share of the catalogue that is "popular", default 0.1), <c>popular_share</c> (share of the
/// fillers drawn from it, default 0.1).
/// </summary>
public sealed class PopularStrategy(string name = PopularStrategy.DefaultName) : IAttackStrategy
{
    public const string DefaultName = "popular";
    public const string BandwagonName = "bandwagon";

    public string Name { get; } = name;

    public string Description => "Target items co-visited with fillers, 10% of them from the 10% most popular items, 90% from the rest (LOKI §4.2.1 Popular, Huang §V-A Bandwagon).";

    /// <summary>Fillers drawn from the popular head: round(n × share), at least one when n ≥ 1 and share &gt; 0.</summary>
    public static int HeadFillerCount(int fillers, double share)
    {
        if (fillers <= 0 || share <= 0) return 0;
        return Math.Clamp((int)Math.Round(fillers * share, MidpointRounding.AwayFromZero), 1, fillers);
    }

    /// <summary>The ⌈fraction × items⌉ most popular items of the view (ties: lower index first).</summary>
    public static int[] HeadItems(PoisonRange.Data.InteractionDataset view, double fraction)
    {
        var popularity = view.ItemPopularity();
        int size = Math.Clamp((int)Math.Ceiling(fraction * view.ItemCount), 1, view.ItemCount);
        return Enumerable.Range(0, view.ItemCount)
            .OrderByDescending(i => popularity[i]).ThenBy(i => i)
            .Take(size).ToArray();
    }

    public Task<IReadOnlyList<FakeProfileSpec>> GenerateAsync(AttackContext ctx, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.Validate();
        double headFraction = ctx.GetDouble("head_fraction", 0.1);
        double share = ctx.GetDouble("popular_share", 0.1);
        if (headFraction is <= 0 or > 1) throw new ArgumentException("Parameter 'head_fraction' must be in (0, 1].");
        if (share is < 0 or > 1) throw new ArgumentException("Parameter 'popular_share' must be in [0, 1].");

        var targets = ctx.TargetItems.ToHashSet();
        var head = HeadItems(ctx.View, headFraction);
        var headSet = head.ToHashSet();
        var headPool = head.Where(i => !targets.Contains(i)).ToArray();
        var tailPool = Enumerable.Range(0, ctx.View.ItemCount).Where(i => !headSet.Contains(i) && !targets.Contains(i)).ToArray();

        int k = TargetsPerProfile(ctx, Math.Min(ctx.TargetItems.Count, HalfBudget(ctx)));
        int n = ctx.ActionsPerUser - k;
        int nHead = HeadFillerCount(n, share);

        var profiles = new List<FakeProfileSpec>(ctx.FakeUsers);
        for (int v = 0; v < ctx.FakeUsers; v++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rng = RandomFor(ctx, Name, v);
            var chosen = RotatingTargets(ctx, v, k).ToList();
            var taken = ctx.TargetItems.ToHashSet();
            var popular = DrawDistinct(rng, headPool, nHead, taken);
            chosen.AddRange(popular);
            var rest = DrawDistinct(rng, tailPool, n - popular.Count, taken);
            chosen.AddRange(rest);
            if (popular.Count + rest.Count < n) // a tiny catalogue: make up from the head
                chosen.AddRange(DrawDistinct(rng, headPool, n - popular.Count - rest.Count, taken));
            rng.Shuffle(chosen);
            profiles.Add(Build(ctx, Name, v, chosen, rng));
            Report(ctx, Name, v + 1);
        }
        return Task.FromResult<IReadOnlyList<FakeProfileSpec>>(profiles);
    }
}
