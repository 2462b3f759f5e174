using PoisonRange.Agent.Loki;
using PoisonRange.Data;
using Xunit;

namespace PoisonRange.Agent.Tests.Loki;

public sealed class LokiStrategyTests
{
    private static AttackContext Context(Dictionary<string, string>? parameters = null) => new()
    {
        View = LokiTestData.Synthetic(users: 50, items: 80),
        TargetItems = [70, 71, 72, 73, 74, 75],
        TargetUsers = [0, 1, 2],
        FakeUsers = 6,
        ActionsPerUser = 5,
        Seed = 13,
        Parameters = parameters ?? new() { ["loki_groups"] = "4", ["loki_nmf_rank"] = "4", ["loki_episodes"] = "32", ["loki_batch"] = "16" },
    };

    [Fact]
    public async Task The_strategy_groups_trains_and_generates_valid_profiles()
    {
        var events = new List<AttackProgress>();
        var ctx = Context();
        ctx = new AttackContext
        {
            View = ctx.View, TargetItems = ctx.TargetItems, TargetUsers = ctx.TargetUsers, FakeUsers = ctx.FakeUsers,
            ActionsPerUser = ctx.ActionsPerUser, Seed = ctx.Seed, Parameters = ctx.Parameters, Progress = new SyncProgress<AttackProgress>(events.Add),
        };
        var strategy = new LokiStrategy(c => LokiTestData.TargetShare(c.TargetItems.ToArray(), c.ActionsPerUser));
        var profiles = await strategy.GenerateAsync(ctx, CancellationToken.None);
        Assert.Equal(6, profiles.Count);
        ProfileValidator.Check("loki", ctx, profiles);
        Assert.All(profiles, p => Assert.Equal(5, p.Actions.Count));
        Assert.All(profiles, p => Assert.StartsWith("loki-", p.ProfileId));
        Assert.Equal(32, strategy.LastTraining!.Episodes);
        Assert.Equal(["groups", "train", "generate"], events.Select(e => e.Phase).Distinct());
        Assert.Equal(2, events.Count(e => e.Phase == "groups"));
        Assert.Equal(6, events[^1].Done);
    }

    [Fact]
    public async Task Unknown_or_bad_parameters_are_rejected()
    {
        var strategy = new LokiStrategy(c => LokiTestData.TargetShare(c.TargetItems.ToArray(), c.ActionsPerUser));
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => strategy.GenerateAsync(Context(new() { ["loki_gama"] = "0.5" }), CancellationToken.None));
        Assert.Contains("Unknown LOKI parameter 'loki_gama'", unknown.Message);
        var bad = await Assert.ThrowsAsync<ArgumentException>(() => strategy.GenerateAsync(Context(new() { ["loki_gamma"] = "2" }), CancellationToken.None));
        Assert.Contains("gamma", bad.Message);
    }

    [Fact]
    public void The_default_registry_does_not_offer_loki_yet()
        => Assert.False(StrategyRegistry.CreateDefault().TryGet("loki", out _));
}
