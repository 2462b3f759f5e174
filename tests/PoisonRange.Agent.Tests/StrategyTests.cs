using PoisonRange.Agent.Strategies;
using PoisonRange.Data;
using Xunit;

namespace PoisonRange.Agent.Tests;

public sealed class StrategyTests
{
    private const int Items = 120;
    private const long LatestTimestamp = 5_000_000;

    /// <summary>80 users over 120 items with a popular head (low indices), increasing timestamps.</summary>
    private static InteractionDataset View(bool ratings = false)
    {
        var rng = new SeededRandom(99);
        var users = Enumerable.Range(0, 80).Select(u => $"u{u:D3}").ToArray();
        var items = Enumerable.Range(0, Items).Select(i => $"i{i:D3}").ToArray();
        var seqs = new int[users.Length][];
        var times = new long[users.Length][];
        var rates = new float[users.Length][];
        for (int u = 0; u < users.Length; u++)
        {
            var picked = new List<int>();
            while (picked.Count < 8)
            {
                int i = (int)(Items * Math.Pow(rng.NextDouble(), 3)); // skewed towards low indices
                if (!picked.Contains(i)) picked.Add(i);
            }
            seqs[u] = picked.ToArray();
            times[u] = picked.Select((_, j) => LatestTimestamp - 100_000 + u * 100 + j).ToArray();
            rates[u] = picked.Select(_ => (float)(1 + rng.Next(5))).ToArray();
        }
        return new InteractionDataset("synthetic", users, items, seqs, times, ratings ? rates : null);
    }

    private static AttackContext Context(InteractionDataset view, int fakeUsers = 25, int m = 15, ulong seed = 7, int[]? targets = null,
        Dictionary<string, string>? parameters = null) => new()
        {
            View = view,
            TargetItems = targets ?? [100, 101, 102, 103, 104, 105],
            TargetUsers = [0, 1, 2, 3, 4],
            FakeUsers = fakeUsers,
            ActionsPerUser = m,
            Seed = seed,
            Parameters = parameters ?? [],
        };

    public static TheoryData<string> Attacks => new() { "random", "popular", "bandwagon", "covisit", "randfilter" };

    private static Task<IReadOnlyList<FakeProfileSpec>> Run(string strategy, AttackContext ctx)
        => StrategyRegistry.CreateDefault().Get(strategy).GenerateAsync(ctx, CancellationToken.None);

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Profiles_keep_the_budget_and_the_catalogue(string strategy)
    {
        var view = View();
        var ctx = Context(view);
        var profiles = await Run(strategy, ctx);
        long latest = view.Timestamps!.SelectMany(t => t).Max();

        Assert.Equal(25, profiles.Count);
        Assert.Equal(25, profiles.Select(p => p.ProfileId).Distinct().Count());
        foreach (var p in profiles)
        {
            Assert.InRange(p.Actions.Count, 1, 15);
            Assert.All(p.Actions, a => Assert.InRange(a.Item, 0, Items - 1));
            Assert.Equal(p.Actions.Count, p.Actions.Select(a => a.Item).Distinct().Count());
            Assert.Contains(p.Actions, a => ctx.TargetItems.Contains(a.Item));
            for (int j = 1; j < p.Actions.Count; j++) Assert.True(p.Actions[j].TimestampMs > p.Actions[j - 1].TimestampMs);
            Assert.True(p.Actions[0].TimestampMs > latest, "fake actions come after the public history");
            Assert.All(p.Actions, a => Assert.Null(a.Rating));
            Assert.StartsWith(strategy + "-7-", p.ProfileId);
        }
        ProfileValidator.Check(strategy, ctx, profiles);
        // Every target appears somewhere.
        Assert.All(ctx.TargetItems, t => Assert.Contains(profiles, p => p.Actions.Any(a => a.Item == t)));
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task The_same_seed_gives_the_same_profiles(string strategy)
    {
        var view = View();
        var a = await Run(strategy, Context(view, seed: 42));
        var b = await Run(strategy, Context(view, seed: 42));
        Assert.Equal(a.Select(Flatten), b.Select(Flatten));

        var c = await Run(strategy, Context(view, seed: 43));
        Assert.NotEqual(a.Select(p => p.ProfileId), c.Select(p => p.ProfileId));
        if (strategy != "covisit") // covisit is driven by the target users' histories, not by chance
            Assert.NotEqual(a.Select(p => string.Join(",", p.Actions.Select(x => x.Item))), c.Select(p => string.Join(",", p.Actions.Select(x => x.Item))));
    }

    private static string Flatten(FakeProfileSpec p) => p.ProfileId + ":" + string.Join(",", p.Actions.Select(a => $"{a.Item}@{a.TimestampMs}/{a.Rating}"));

    [Fact]
    public async Task None_makes_no_profiles()
    {
        Assert.Empty(await Run("none", Context(View(), targets: [])));
    }

    [Fact]
    public async Task Random_with_one_target_is_the_target_plus_random_fillers()
    {
        var ctx = Context(View(), m: 10, targets: [110]);
        var profiles = await Run("random", ctx);
        Assert.All(profiles, p =>
        {
            Assert.Equal(10, p.Actions.Count);
            Assert.Single(p.Actions, a => a.Item == 110);
        });
        // Fillers vary between profiles.
        Assert.True(profiles.Select(p => string.Join(",", p.Actions.Select(a => a.Item).Order())).Distinct().Count() > 20);
    }

    [Fact]
    public async Task Random_picks_from_a_repository_of_all_targets_and_random_items()
    {
        var ctx = Context(View());
        var profiles = await Run("random", ctx);
        // Repository: 6 targets + (15 - min(6, 7)) = 9 fillers = 15 items, all taken.
        Assert.All(profiles, p => Assert.Equal(6, p.Actions.Count(a => ctx.TargetItems.Contains(a.Item))));

        var wide = await Run("random", Context(View(), parameters: new() { ["repository_fillers"] = "30" }));
        Assert.All(wide, p => Assert.Equal(15, p.Actions.Count));
        Assert.Contains(wide, p => p.Actions.Count(a => ctx.TargetItems.Contains(a.Item)) < 6);
    }

    [Theory]
    [InlineData("popular", null, 2)]
    [InlineData("bandwagon", null, 2)]
    [InlineData("popular", "0.5", 10)]
    public async Task Popular_draws_its_share_of_fillers_from_the_popular_head(string strategy, string? share, int expectedHead)
    {
        var view = View();
        var parameters = share is null ? [] : new Dictionary<string, string> { ["popular_share"] = share };
        var ctx = Context(view, m: 25, targets: [100, 101, 102, 103, 104], parameters: parameters);
        var head = PopularStrategy.HeadItems(view, 0.1).ToHashSet();
        Assert.Equal(12, head.Count);
        var popularity = view.ItemPopularity();
        Assert.True(head.Min(i => popularity[i]) >= Enumerable.Range(0, Items).Where(i => !head.Contains(i)).Max(i => popularity[i]));

        var profiles = await Run(strategy, ctx);
        foreach (var p in profiles)
        {
            var items = p.Actions.Select(a => a.Item).ToList();
            Assert.Equal(25, items.Count);
            Assert.Equal(5, items.Count(ctx.TargetItems.Contains)); // k = min(|T|, M/2)
            var fillers = items.Where(i => !ctx.TargetItems.Contains(i)).ToList();
            Assert.Equal(20, fillers.Count);
            Assert.Equal(expectedHead, fillers.Count(head.Contains));
        }
        Assert.Equal(2, PopularStrategy.HeadFillerCount(20, 0.1));
        Assert.Equal(1, PopularStrategy.HeadFillerCount(8, 0.1));
        Assert.Equal(0, PopularStrategy.HeadFillerCount(0, 0.1));
    }

    [Fact]
    public async Task Covisit_interleaves_targets_with_the_target_users_items()
    {
        var view = View();
        var ctx = Context(view);
        var profiles = await Run("covisit", ctx);
        var targetUsersItems = ctx.TargetUsers.SelectMany(u => view.Sequences[u]).ToHashSet();

        for (int v = 0; v < profiles.Count; v++)
        {
            var items = profiles[v].Actions.Select(a => a.Item).ToList();
            var served = view.Sequences[ctx.TargetUsers[v % ctx.TargetUsers.Count]];
            var latest = served.Reverse().First(i => !ctx.TargetItems.Contains(i));

            Assert.All(items.Where(i => !ctx.TargetItems.Contains(i)), i => Assert.Contains(i, targetUsersItems));
            Assert.Contains(items, served.Contains);
            Assert.Equal(6, items.Count(ctx.TargetItems.Contains)); // k = min(6, 15/2)
            // The profile ends with (the served user's latest item, a target).
            Assert.Equal(latest, items[^2]);
            Assert.Contains(items[^1], ctx.TargetItems);
            // Targets and the user's items alternate at the end.
            for (int j = items.Count - 1; j >= items.Count - 12; j -= 2)
            {
                Assert.Contains(items[j], ctx.TargetItems);
                Assert.DoesNotContain(items[j - 1], ctx.TargetItems);
            }
        }
    }

    [Fact]
    public async Task Covisit_needs_target_users()
    {
        var ctx = new AttackContext { View = View(), TargetItems = [100], FakeUsers = 2, ActionsPerUser = 5 };
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => Run("covisit", ctx));
        Assert.Contains("target users", ex.Message);
    }

    [Fact]
    public async Task RandFilter_clicks_the_target_set_and_random_filter_items()
    {
        var ctx = Context(View());
        var profiles = await Run("randfilter", ctx);
        Assert.All(profiles, p =>
        {
            Assert.Equal(15, p.Actions.Count);
            Assert.Equal(6, p.Actions.Count(a => ctx.TargetItems.Contains(a.Item)));
        });

        // A target set larger than M rotates through windows of M - 1 targets.
        var many = Context(View(), m: 5, targets: Enumerable.Range(100, 12).ToArray());
        var rotated = await Run("randfilter", many);
        Assert.All(rotated, p => Assert.Equal(4, p.Actions.Count(a => many.TargetItems.Contains(a.Item))));
        Assert.All(many.TargetItems, t => Assert.Contains(rotated, p => p.Actions.Any(a => a.Item == t)));
    }

    [Fact]
    public async Task Explicit_views_get_ratings_like_the_data()
    {
        var ctx = Context(View(ratings: true));
        var profiles = await Run("popular", ctx);
        foreach (var a in profiles.SelectMany(p => p.Actions))
        {
            Assert.NotNull(a.Rating);
            if (ctx.TargetItems.Contains(a.Item)) Assert.Equal(5f, a.Rating);
            else
            {
                Assert.InRange(a.Rating!.Value, 1f, 5f);
                Assert.Equal(MathF.Round(a.Rating.Value), a.Rating.Value);
            }
        }
        var none = await Run("popular", Context(View(ratings: true), parameters: new() { ["ratings"] = "none" }));
        Assert.All(none.SelectMany(p => p.Actions), a => Assert.Null(a.Rating));
    }

    [Fact]
    public async Task Bad_contexts_and_parameters_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Run("random", Context(View(), targets: [])));
        await Assert.ThrowsAsync<ArgumentException>(() => Run("random", Context(View(), targets: [Items])));
        await Assert.ThrowsAsync<ArgumentException>(() => Run("random", Context(View(), m: 0)));
        await Assert.ThrowsAsync<ArgumentException>(() => Run("popular", Context(View(), parameters: new() { ["head_fraction"] = "2" })));
        await Assert.ThrowsAsync<ArgumentException>(() => Run("popular", Context(View(), parameters: new() { ["popular_share"] = "lots" })));
    }
}
