using Grpc.Core;
using PoisonRange.Contracts.Platform.V1;
using Xunit;

namespace PoisonRange.Platform.Tests;

/// <summary>Rate limits hold exactly under concurrent clients, and say when to come back.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task Query_budget_is_never_over_admitted_under_concurrency()
    {
        await using var h = await PlatformHarness.StartAsync();
        await h.Referee.ConfigureAsync(PlatformHarness.SmallScenario("poprec", l =>
        {
            l.QueryBudgetPerKey = 300;
            l.QueriesPerAccountPerWindow = -1;
        }));
        var accounts = new List<string>();
        for (int i = 0; i < 8; i++) accounts.Add((await h.Attacker.RegisterAsync(new RegisterRequest())).AccountId);

        int admitted = 0, exhausted = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 32), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (client, ct) =>
        {
            for (int j = 0; j < 20; j++)
            {
                try
                {
                    await h.Attacker.RecommendAsync(new RecommendRequest { AccountId = accounts[(client + j) % accounts.Count], K = 5 }, cancellationToken: ct);
                    Interlocked.Increment(ref admitted);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                {
                    Assert.Null(ex.Trailers.GetValue("retry-after-ms"));
                    Interlocked.Increment(ref exhausted);
                }
            }
        });
        Assert.Equal(300, admitted);
        Assert.Equal(640 - 300, exhausted);
        var quota = await h.Attacker.GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal(300, quota.QueriesUsed);
    }

    [Fact]
    public async Task Per_account_window_rejects_with_a_retry_delay_that_works()
    {
        await using var h = await PlatformHarness.StartAsync();
        await h.Referee.ConfigureAsync(PlatformHarness.SmallScenario("poprec", l =>
        {
            l.QueriesPerAccountPerWindow = 3;
            l.QueryWindowMs = 400;
        }));
        var account = (await h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
        var other = (await h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
        var request = new RecommendRequest { AccountId = account, K = 5 };
        RpcException? rejected = null;
        for (int i = 0; i < 10 && rejected is null; i++)
        {
            try { await h.Attacker.RecommendAsync(request); }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted) { rejected = ex; }
        }
        Assert.NotNull(rejected);
        var retry = long.Parse(rejected!.Trailers.GetValue("retry-after-ms")!);
        Assert.InRange(retry, 1, 400);
        Assert.Equal(retry.ToString(), rejected.Trailers.GetValue("grpc-retry-pushback-ms"));

        // Another account of the same key is not affected by this account's window.
        await h.Attacker.RecommendAsync(new RecommendRequest { AccountId = other, K = 5 });

        await Task.Delay(TimeSpan.FromMilliseconds(retry + 20));
        await h.Attacker.RecommendAsync(request);
    }

    [Fact]
    public async Task Registrations_per_key_hold_exactly_under_concurrency()
    {
        await using var h = await PlatformHarness.StartAsync();
        await h.Referee.ConfigureAsync(PlatformHarness.SmallScenario("poprec", l => l.AccountsPerKey = 25));
        int ok = 0, rejected = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 60), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, ct) =>
        {
            try
            {
                await h.Attacker.RegisterAsync(new RegisterRequest(), cancellationToken: ct);
                Interlocked.Increment(ref ok);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
                Interlocked.Increment(ref rejected);
            }
        });
        Assert.Equal(25, ok);
        Assert.Equal(35, rejected);
        // The limit is per key: another key still registers.
        await h.Other.RegisterAsync(new RegisterRequest());
    }

    [Fact]
    public async Task Crawl_pages_are_limited_per_key()
    {
        await using var h = await PlatformHarness.StartAsync();
        await h.Referee.ConfigureAsync(PlatformHarness.SmallScenario("poprec", l => l.CrawlPagesPerKey = 3));
        var call = h.Attacker.Crawl(new CrawlRequest { PageSize = 50 });
        int pages = 0;
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync()) pages++;
        });
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal(3, pages);
    }
}
