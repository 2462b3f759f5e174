using static PoisonRange.Agent.Strategies.ProfileComposer;

namespace PoisonRange.Agent.Strategies;

/// <summary>
/// Random attack (LOKI §4.2.1; Huang §V-A): each fake account gets a repository of all target
/// items plus randomly picked non-target items, and takes M items from it at random, without
/// repetition, in random order. Parameter <c>repository_fillers</c> (default M − min(|T|, M/2))
/// sets the random items per repository; with one target the default gives Huang's random
/// attack (the target plus M−1 random fillers). A profile that drew no target has its last
/// item replaced by a random target, so none is wasted.
/// </summary>
public sealed class RandomStrategy : IAttackStrategy
{
    public string Name => "random";

    public string Description => "Target items mixed with random items; each fake user picks from that repository at random (LOKI §4.2.1, Huang §V-A).";

    public Task<IReadOnlyList<FakeProfileSpec>> GenerateAsync(AttackContext ctx, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.Validate();
        int m = ctx.ActionsPerUser;
        int fillers = Math.Max(0, ctx.GetInt("repository_fillers", m - Math.Min(ctx.TargetItems.Count, HalfBudget(ctx))));
        var pool = NonTargetItems(ctx);
        var profiles = new List<FakeProfileSpec>(ctx.FakeUsers);
        for (int v = 0; v < ctx.FakeUsers; v++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rng = RandomFor(ctx, Name, v);
            var taken = ctx.TargetItems.ToHashSet();
            var repository = new List<int>(ctx.TargetItems);
            repository.AddRange(DrawDistinct(rng, pool, fillers, taken));
            rng.Shuffle(repository);
            var picked = repository.Take(Math.Min(m, repository.Count)).ToList();
            if (!picked.Any(ctx.TargetItems.Contains))
                picked[^1] = ctx.TargetItems[rng.Next(ctx.TargetItems.Count)];
            profiles.Add(Build(ctx, Name, v, picked, rng));
            Report(ctx, Name, v + 1);
        }
        return Task.FromResult<IReadOnlyList<FakeProfileSpec>>(profiles);
    }
}
