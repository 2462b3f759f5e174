using Xunit;

namespace PoisonRange.Agent.Tests;

public sealed class RegistryTests
{
    private sealed class Repeating : IAttackStrategy
    {
        public string Name => "repeat";
        public string Description => "a broken strategy";

        public Task<IReadOnlyList<FakeProfileSpec>> GenerateAsync(AttackContext context, CancellationToken cancellationToken)
            => Task.FromResult<IReadOnlyList<FakeProfileSpec>>([new FakeProfileSpec("x", [new FakeAction(1, 1), new FakeAction(1, 2)])]);
    }

    [Fact]
    public void Names_match_loosely_and_unknown_names_list_the_known_ones()
    {
        var registry = StrategyRegistry.CreateDefault();
        Assert.Equal(["none", "random", "popular", "bandwagon", "covisit", "randfilter"], registry.All.Select(s => s.Name));
        Assert.Equal("covisit", registry.Get("Co-Visit").Name);
        Assert.Equal("randfilter", registry.Get("RAND_FILTER").Name);
        var ex = Assert.Throws<UnknownStrategyException>(() => registry.Get("loki"));
        Assert.Contains("covisit", ex.Message);

        registry.Add(new Repeating());
        Assert.True(registry.TryGet("repeat", out _));
        Assert.Throws<ArgumentException>(() => registry.Add(new Repeating()));
    }

    [Fact]
    public async Task The_validator_catches_a_strategy_that_breaks_the_rules()
    {
        var view = new PoisonRange.Data.InteractionDataset("v", ["u"], ["a", "b"], [[0]], null, null);
        var ctx = new AttackContext { View = view, TargetItems = [1], FakeUsers = 1, ActionsPerUser = 5 };
        var profiles = await new Repeating().GenerateAsync(ctx, CancellationToken.None);
        var ex = Assert.Throws<InvalidOperationException>(() => ProfileValidator.Check("repeat", ctx, profiles));
        Assert.Contains("repeated item 'b'", ex.Message);
    }
}
