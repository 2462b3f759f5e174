using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Recommenders;
using Xunit;

namespace PoisonRange.Simulator.Tests;

/// <summary>The builder against a real loopback platform whose victim the test chooses.</summary>
public sealed class SimulatorBuilderTests(LoopbackPlatform platform) : IClassFixture<LoopbackPlatform>
{
    internal static readonly Dictionary<string, string> Bpr = new() { ["epochs"] = "20", ["factors"] = "16" };
    internal static readonly Dictionary<string, string> Fpmc = new() { ["epochs"] = "5", ["factors"] = "16" };

    internal static SimulatorOptions SmallOptions(int probes) => new()
    {
        Models = [new("bprmf", Bpr), new("fpmc", Fpmc), new("poprec")],
        ProbeQueries = probes,
        ProbeHistoryLength = 10,
        K = 10,
        Seed = 5,
        ProbeConcurrency = 4,
    };

    [Theory]
    [InlineData("bprmf")]
    [InlineData("poprec")]
    public async Task Weights_favour_the_kind_of_the_victim(string victim)
    {
        await platform.ConfigureAsync(victim, hyper: victim == "bprmf" ? Bpr : null);
        using var client = platform.NewClient();
        using var ensemble = await SimulatorBuilder.BuildAsync(client, SmallOptions(60), null, CancellationToken.None);

        var weights = ensemble.Models.ToDictionary(m => m.Kind, m => m.Weight);
        var summary = string.Join(", ", ensemble.Agreement.Models.Select(m => $"{m.Kind} w={m.Weight:0.000} d={m.FitKendall:0.000}"));
        Assert.True(weights[victim] > 0.5, $"victim {victim} should carry most of the weight: {summary}");
        Assert.Equal(victim, ensemble.Models.MaxBy(m => m.Weight)!.Kind);
        Assert.Equal(victim, ensemble.Agreement.BestSingleKind);
        Assert.Equal(1.0, ensemble.Models.Sum(m => m.Weight), 9);
        Assert.All(ensemble.Models, m => Assert.True(m.Weight >= 0));
        Assert.False(ensemble.Agreement.UniformWeights);
        Assert.Equal(48, ensemble.Agreement.FitProbes);
        Assert.Equal(12, ensemble.Agreement.HeldOutProbes);
        // The victim's own kind agrees with the platform on held-out probes better than the others.
        var victimHeldOut = ensemble.Agreement.Models.Single(m => m.Kind == victim).HeldOutKendall;
        Assert.All(ensemble.Agreement.Models.Where(m => m.Kind != victim), m => Assert.True(m.HeldOutKendall > victimHeldOut, summary));
        Assert.InRange(ensemble.Agreement.EnsembleKendall, 0, 1);
        Assert.InRange(ensemble.Agreement.EnsembleOverlap, 0, 1);
    }

    [Fact]
    public async Task A_fixed_seed_gives_the_same_probes_weights_and_agreement()
    {
        await platform.ConfigureAsync("bprmf", hyper: Bpr);
        using var client = platform.NewClient();
        using var first = await SimulatorBuilder.BuildAsync(client, SmallOptions(20), null, CancellationToken.None);
        var options = SmallOptions(20);
        options.ExcludeUsers.UnionWith(first.ProbeAccounts);
        using var second = await SimulatorBuilder.BuildAsync(client, options, null, CancellationToken.None);
        Assert.Equal(first.Train.InteractionCount, second.Train.InteractionCount);
        Assert.Equal(first.Weights, second.Weights);
        Assert.Equal(first.Agreement.Models, second.Agreement.Models);
        Assert.Equal(first.Agreement.EnsembleKendall, second.Agreement.EnsembleKendall);
        Assert.Empty(first.ProbeAccounts.Intersect(second.ProbeAccounts));
        Assert.Equal(first.RankHistory([1, 2, 3], 10).Ensemble, second.RankHistory([1, 2, 3], 10).Ensemble);
    }

    [Fact]
    public async Task Query_and_action_accounting_is_exact()
    {
        await platform.ConfigureAsync("bprmf", hyper: Bpr);
        using var client = platform.NewClient();
        var before = await client.GetQuotaAsync();
        using var ensemble = await SimulatorBuilder.BuildAsync(client, SmallOptions(23), null, CancellationToken.None);
        var after = await client.GetQuotaAsync();

        var spend = ensemble.Spend;
        Assert.Equal(23, spend.QueriesRequested);
        Assert.Equal(23, spend.QueriesPlanned);
        Assert.Equal(23, spend.Queries);
        Assert.Equal(after.QueriesUsed - before.QueriesUsed, spend.Queries);
        Assert.Equal(23, spend.Accounts);
        Assert.Equal(after.Accounts - before.Accounts, spend.Accounts);
        var accounts = (await platform.Referee.ListAccountsAsync(new ListAccountsRequest { OwnerKey = LoopbackPlatform.AttackerKey })).Accounts;
        Assert.Equal(spend.Accounts, accounts.Count);
        Assert.Equal(spend.Actions, accounts.Sum(a => (long)a.Actions));
        Assert.Equal(ensemble.ProbeAccounts.Order(), accounts.Select(a => a.AccountId).Order());
        Assert.False(spend.Degraded);
        Assert.True(spend.CrawlPages > 0);
        Assert.Equal(0, spend.Retries);
        // One ListItems page, the crawl, one GetQuota, and Register + Record + Recommend per probe.
        Assert.Equal(1 + spend.CrawlPages + 1 + 3 * 23, spend.Calls - CrawlStreamsBeyondPages(spend));
        Assert.Equal(18 + 5, ensemble.Agreement.FitProbes + ensemble.Agreement.HeldOutProbes);
        Assert.Equal(4, ensemble.Agreement.HeldOutProbes);
    }

    /// <summary>The crawl is one stream however many pages it returns, so it is one call, not one per page.</summary>
    private static long CrawlStreamsBeyondPages(SimulatorSpend spend) => 1 - spend.CrawlPages;

    [Fact]
    public async Task The_budget_given_caps_the_probes_and_says_so()
    {
        await platform.ConfigureAsync("bprmf", hyper: Bpr);
        using var client = platform.NewClient();
        var options = SmallOptions(30);
        options.MaxQueries = 7;
        using var ensemble = await SimulatorBuilder.BuildAsync(client, options, null, CancellationToken.None);
        Assert.Equal(30, ensemble.Spend.QueriesRequested);
        Assert.Equal(7, ensemble.Spend.Queries);
        Assert.True(ensemble.Spend.Degraded);
        Assert.Contains("query budget given (7)", ensemble.Spend.Message);
        Assert.Equal(7, ensemble.Agreement.FitProbes + ensemble.Agreement.HeldOutProbes);
    }

    [Fact]
    public async Task The_platform_query_budget_lowers_the_plan_before_any_query_is_refused()
    {
        await platform.ConfigureAsync("bprmf", l => l.QueryBudgetPerKey = 5, Bpr);
        using var client = platform.NewClient();
        using var ensemble = await SimulatorBuilder.BuildAsync(client, SmallOptions(40), null, CancellationToken.None);
        Assert.Equal(5, ensemble.Spend.Queries);
        Assert.True(ensemble.Spend.Degraded);
        Assert.Contains("platform's remaining query budget (5)", ensemble.Spend.Message);
        Assert.Equal(5, (await client.GetQuotaAsync()).QueriesUsed);
    }

    [Fact]
    public async Task A_zero_budget_sends_no_query_and_yields_flagged_uniform_weights()
    {
        await platform.ConfigureAsync("bprmf", hyper: Bpr);
        using var client = platform.NewClient();
        using var ensemble = await SimulatorBuilder.BuildAsync(client, SmallOptions(0), null, CancellationToken.None);
        Assert.All(ensemble.Models, m => Assert.Equal(1.0 / 3, m.Weight, 12));
        Assert.True(ensemble.Agreement.UniformWeights);
        Assert.Equal(WeightMethod.Uniform, ensemble.Agreement.Method);
        Assert.Contains("zero probe budget", ensemble.Agreement.Message);
        Assert.Equal(0, ensemble.Spend.Queries);
        Assert.Equal(0, ensemble.Spend.Accounts);
        Assert.Equal(0, ensemble.Spend.Actions);
        var quota = await client.GetQuotaAsync();
        Assert.Equal(0, quota.QueriesUsed);
        Assert.Equal(0, quota.Accounts);
        Assert.True(double.IsNaN(ensemble.Agreement.EnsembleKendall));
        // The ensemble still ranks.
        var ranking = ensemble.RankHistory([0, 1, 2], 10);
        Assert.Equal(10, ranking.Ensemble.Length);
        Assert.DoesNotContain(0, ranking.Ensemble);
    }

    [Fact]
    public async Task Retrain_with_fake_profiles_trains_on_the_crawl_plus_the_fakes()
    {
        await platform.ConfigureAsync("poprec");
        using var client = platform.NewClient();
        var options = SmallOptions(0);
        options.Models = [new("poprec"), new("bprmf", Bpr)];
        using var ensemble = await SimulatorBuilder.BuildAsync(client, options, null, CancellationToken.None);
        var popularity = ensemble.Train.ItemPopularity();
        int target = Array.IndexOf(popularity, popularity.Min());
        using var clean = ensemble.RetrainWith("poprec", []);
        using var poisoned = ensemble.RetrainWith("POPREC", Enumerable.Repeat<int[]>([target], 200));
        Assert.Equal(ensemble.Train.ItemCount, poisoned.ItemCount);
        var top = new int[1];
        poisoned.RecommendHistory([], false, top);
        Assert.Equal(target, top[0]);
        clean.RecommendHistory([], false, top);
        Assert.NotEqual(target, top[0]);
        Assert.Throws<ArgumentException>(() => ensemble.RetrainWith("gru4rec", []));
        Assert.Throws<ArgumentException>(() => ensemble.RetrainWith("poprec", [[ensemble.Train.ItemCount]]));
    }

    [Fact]
    public async Task Bad_options_fail_before_anything_is_spent()
    {
        await platform.ConfigureAsync("poprec");
        using var client = platform.NewClient();
        var options = SmallOptions(5);
        options.Models = [new("nosuchmodel")];
        var ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => SimulatorBuilder.BuildAsync(client, options, null, CancellationToken.None));
        Assert.Contains("nosuchmodel", ex.Message);
        options = SmallOptions(5);
        options.ProbeFraction = 2;
        await Assert.ThrowsAnyAsync<ArgumentException>(() => SimulatorBuilder.BuildAsync(client, options, null, CancellationToken.None));
        Assert.Equal(0, client.Counters.Snapshot().Calls);
    }
}
