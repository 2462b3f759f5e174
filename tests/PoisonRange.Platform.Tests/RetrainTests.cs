using Grpc.Core;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Testing;
using Xunit;

namespace PoisonRange.Platform.Tests;

public sealed class RetrainTests
{
    [Fact]
    public async Task Retrain_while_serving_never_fails_a_request_and_swaps_the_version()
    {
        await using var h = await PlatformHarness.StartAsync();
        await h.Referee.ConfigureAsync(PlatformHarness.SmallScenario());
        var items = await h.ItemsAsync();
        var account = (await h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
        var record = new RecordRequest { AccountId = account };
        for (int i = 0; i < 10; i++) record.Interactions.Add(new Interaction { ItemId = items[i] });
        await h.Attacker.RecordAsync(record);

        using var stop = new CancellationTokenSource();
        int served = 0;
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var reply = await h.Attacker.RecommendAsync(new RecommendRequest { AccountId = account, K = 10 });
                Assert.Equal(10, reply.ItemIds.Count);
                Interlocked.Increment(ref served);
            }
        });
        var before = await h.Referee.StatusAsync(new StatusRequest());
        var retrain = await h.Referee.RetrainAsync(new RetrainRequest());
        var retrain2 = await h.Referee.RetrainAsync(new RetrainRequest());
        stop.Cancel();
        await load;
        Assert.True(served > 0);
        Assert.NotEqual(before.ModelVersion, retrain.ModelVersion);
        Assert.NotEqual(retrain.ModelVersion, retrain2.ModelVersion);
        var after = await h.Referee.StatusAsync(new StatusRequest());
        Assert.Equal(retrain2.ModelVersion, after.ModelVersion);
        Assert.Equal(0, after.InteractionsSinceRetrain);
    }

    [Fact]
    public async Task Scheduler_retrains_after_n_new_interactions_on_its_own()
    {
        await using var h = await PlatformHarness.StartAsync();
        var scenario = PlatformHarness.SmallScenario("poprec");
        scenario.Retrain = new RetrainPolicy { EveryNewInteractions = 10, Jitter = 0 };
        await h.Referee.ConfigureAsync(scenario);
        var first = (await h.Referee.StatusAsync(new StatusRequest())).ModelVersion;
        var items = await h.ItemsAsync();
        var account = (await h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
        var record = new RecordRequest { AccountId = account };
        for (int i = 0; i < 12; i++) record.Interactions.Add(new Interaction { ItemId = items[i] });
        await h.Attacker.RecordAsync(record);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        StatusReply status;
        do
        {
            await Task.Delay(50);
            status = await h.Referee.StatusAsync(new StatusRequest());
        } while (status.ModelVersion == first && DateTime.UtcNow < deadline);
        Assert.NotEqual(first, status.ModelVersion);
        Assert.Equal(0, status.InteractionsSinceRetrain);
    }

    [Fact]
    public async Task A_new_account_gets_recommendations_before_any_retrain_and_the_injection_moves_the_model_after()
    {
        await using var h = await PlatformHarness.StartAsync();
        await h.Referee.ConfigureAsync(PlatformHarness.SmallScenario("poprec"));
        var items = await h.ItemsAsync();
        var target = items[^1];
        var users = new List<string>();
        await foreach (var page in h.Attacker.Crawl(new CrawlRequest { PageSize = 100 }).ResponseStream.ReadAllAsync())
            users.AddRange(page.Users.Select(u => u.UserId));
        var evaluate = new EvaluateRequest { K = 10, TargetItems = { target }, TargetUsers = { users.Take(20) } };
        var baseline = await h.Referee.EvaluateAsync(evaluate);

        // Forty fake accounts all choose the same unpopular item: PopRec must start showing it.
        for (int a = 0; a < 40; a++)
        {
            var id = (await h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
            var fresh = await h.Attacker.RecommendAsync(new RecommendRequest { AccountId = id, K = 5 });
            Assert.Equal(5, fresh.ItemIds.Count);
            await h.Attacker.RecordAsync(new RecordRequest { AccountId = id, Interactions = { new Interaction { ItemId = target } } });
        }
        var unchanged = await h.Referee.EvaluateAsync(evaluate);
        Assert.Equal(baseline.MeanItemHitRatio, unchanged.MeanItemHitRatio);
        await h.Referee.RetrainAsync(new RetrainRequest());
        var attacked = await h.Referee.EvaluateAsync(evaluate);
        Assert.True(attacked.MeanItemHitRatio > baseline.MeanItemHitRatio,
            $"HR_t@10 went from {baseline.MeanItemHitRatio} to {attacked.MeanItemHitRatio}");
        var ground = await h.Referee.ListAccountsAsync(new ListAccountsRequest());
        Assert.Equal(40, ground.Accounts.Count);
        Assert.All(ground.Accounts, a => Assert.True(a.Fake));
    }
}

public sealed class RestartTests
{
    [Fact]
    public async Task A_platform_restarted_on_the_same_redis_loses_nothing()
    {
        await using var redis = await RedisServer.StartAsync();
        var connection = redis.ConnectionString;
        string account, version;
        long queriesUsed;
        IReadOnlyList<string> items;
        RecommendReply before;
        await using (var first = await PlatformHarness.StartAsync("redis", connection, "restart:"))
        {
            var scenario = PlatformHarness.SmallScenario();
            await first.Referee.ConfigureAsync(scenario);
            items = await first.ItemsAsync();
            account = (await first.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
            var record = new RecordRequest { AccountId = account };
            for (int i = 0; i < 7; i++) record.Interactions.Add(new Interaction { ItemId = items[i], TimestampMs = 1000 + i });
            await first.Attacker.RecordAsync(record);
            version = (await first.Referee.RetrainAsync(new RetrainRequest())).ModelVersion;
            before = await first.Attacker.RecommendAsync(new RecommendRequest { AccountId = account, K = 10 });
            queriesUsed = (await first.Attacker.GetQuotaAsync(new GetQuotaRequest())).QueriesUsed;
        }

        await using var second = await PlatformHarness.StartAsync("redis", connection, "restart:");
        var status = await second.Referee.StatusAsync(new StatusRequest());
        Assert.Equal(version, status.ModelVersion);
        Assert.Equal("redis", status.Store);
        Assert.Equal(1, status.Accounts);
        var quota = await second.Attacker.GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal(queriesUsed, quota.QueriesUsed);
        var accounts = await second.Referee.ListAccountsAsync(new ListAccountsRequest());
        Assert.Equal(7, accounts.Accounts.Single(a => a.AccountId == account).Actions);
        var after = await second.Attacker.RecommendAsync(new RecommendRequest { AccountId = account, K = 10 });
        Assert.Equal(before.ItemIds, after.ItemIds);

        // The actions limit continues where it was: 20 - 7 remain.
        var more = new RecordRequest { AccountId = account };
        for (int i = 7; i < 21; i++) more.Interactions.Add(new Interaction { ItemId = items[i] });
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await second.Attacker.RecordAsync(more));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }
}
