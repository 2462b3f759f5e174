using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PoisonRange.Testing;
using StackExchange.Redis;

namespace PoisonRange.Platform.Stores.Tests;

/// <summary>The contract against a real redis-server, plus what only Redis has: prefixes, TTLs, restarts.</summary>
public sealed class RedisPlatformStoreTests(RedisFixture redis) : PlatformStoreContract, IClassFixture<RedisFixture>
{
    private static string NewPrefix() => $"test:{Guid.NewGuid():N}:";

    protected override Task<IPlatformStore> NewStoreAsync() =>
        Task.FromResult<IPlatformStore>(new RedisPlatformStore(redis.Connection, NewPrefix()));

    private async Task<RedisKey[]> KeysAsync(string prefix)
    {
        var server = redis.Connection.GetServers().Single();
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: RedisKeys.Pattern(prefix))) keys.Add(key);
        return keys.ToArray();
    }

    [Fact]
    public void Kind_is_redis_and_prefix_defaults()
    {
        var store = new RedisPlatformStore(redis.Connection);
        Assert.Equal("redis", store.Kind);
        Assert.Equal(RedisKeys.DefaultPrefix, store.KeyPrefix);
    }

    [Fact]
    public async Task Everything_survives_a_platform_restart()
    {
        var prefix = NewPrefix();
        var limits = new QueryLimits(PerAccountPerWindow: 0, WindowMs: 0, BudgetPerKey: 3);
        var payload = Enumerable.Range(0, 4096).Select(i => (byte)i).ToArray();
        string account;
        StoredInteraction[] batch = [new(3, 4.5f, T0), new(9, null, T0 + 1)];

        var connection = await redis.Server.ConnectAsync();
        {
            var store = new RedisPlatformStore(connection, prefix);
            await store.ResetAsync("""{"name":"restart"}""");
            account = ((RegisterOutcome.Registered)await store.RegisterAsync("k", "op", RegistrationLimits.Unlimited, T0)).AccountId;
            await store.AppendInteractionsAsync(account, batch, 10, "b1");
            await store.TryConsumeQueryAsync("k", account, limits, T0);
            await store.TryConsumeQueryAsync("k", account, limits, T0);
            await store.TryConsumeCrawlPageAsync("k", 5);
            await store.SetFlaggedAsync(account, true);
            await store.SaveModelAsync(new ModelCheckpoint("bprmf-1", payload, T0, 2, 0.25, """{"dim":8}"""));
        }
        await connection.DisposeAsync();

        await using var reconnected = await redis.Server.ConnectAsync();
        var restarted = new RedisPlatformStore(reconnected, prefix);
        Assert.Equal("""{"name":"restart"}""", await restarted.GetScenarioAsync());
        Assert.Equal(new AccountRecord(account, "k", T0, 2, true, 0), await restarted.GetAccountAsync(account));
        Assert.Equal(batch, await restarted.GetInteractionsAsync(account));
        Assert.Equal(2, await restarted.GetInteractionCountAsync());
        Assert.Equal(new QuotaUsage(1, 2, 1), await restarted.GetQuotaUsageAsync("k"));
        var model = await restarted.LoadModelAsync();
        Assert.Equal("bprmf-1", model!.Version);
        Assert.Equal(payload, model.Payload);
        Assert.Equal(0.25, model.TrainSeconds);

        // Idempotency keys and limits carry on where they were.
        Assert.Equal(new RegisterOutcome.Registered(account, true), await restarted.RegisterAsync("k", "op", RegistrationLimits.Unlimited, T0));
        Assert.Equal(new AppendOutcome.Appended(2, 8, true), await restarted.AppendInteractionsAsync(account, batch, 10, "b1"));
        Assert.IsType<LimitDecision.Admitted>(await restarted.TryConsumeQueryAsync("k", account, limits, T0));
        Assert.IsType<LimitDecision.Rejected>(await restarted.TryConsumeQueryAsync("k", account, limits, T0));
        var next = (RegisterOutcome.Registered)await restarted.RegisterAsync("k", null, RegistrationLimits.Unlimited, T0);
        Assert.Equal(1, (await restarted.GetAccountAsync(next.AccountId))!.Sequence);
    }

    [Fact]
    public async Task Two_platforms_share_a_redis_under_different_prefixes()
    {
        var a = new RedisPlatformStore(redis.Connection, NewPrefix());
        var b = new RedisPlatformStore(redis.Connection, NewPrefix());
        await a.ResetAsync("a");
        await b.ResetAsync("b");
        var account = ((RegisterOutcome.Registered)await a.RegisterAsync("k", null, RegistrationLimits.Unlimited, T0)).AccountId;
        await a.AppendInteractionsAsync(account, [new(1, null, T0)], 0, null);
        await a.TryConsumeCrawlPageAsync("k", 1);

        Assert.Empty(await b.ListAccountsAsync(null));
        Assert.Equal(0, await b.GetInteractionCountAsync());
        Assert.IsType<LimitDecision.Admitted>(await b.TryConsumeCrawlPageAsync("k", 1));

        await b.ResetAsync("b2");
        Assert.Equal("a", await a.GetScenarioAsync());
        Assert.Single(await a.ListAccountsAsync(null));
        Assert.Equal(1, await a.GetInteractionCountAsync());
    }

    [Fact]
    public async Task Every_key_lives_under_the_prefix_and_reset_removes_them_all()
    {
        var prefix = NewPrefix();
        var store = new RedisPlatformStore(redis.Connection, prefix);
        var account = ((RegisterOutcome.Registered)await store.RegisterAsync("k", "op",
            new RegistrationLimits(5, 5, 60_000), T0)).AccountId;
        await store.AppendInteractionsAsync(account, [new(1, null, T0)], 5, "b");
        await store.TryConsumeQueryAsync("k", account, new QueryLimits(5, 60_000, 5), T0);
        await store.TryConsumeCrawlPageAsync("k", 5);
        await store.SaveModelAsync(new ModelCheckpoint("v", [1], T0, 1, 1, "{}"));

        var keys = (await KeysAsync(prefix)).Select(k => ((string)k!)[prefix.Length..]).Order().ToArray();
        Assert.Equal(
            new[]
            {
                "account-appends:" + account, "account-log:" + account, "account-queries:" + account + ":" + T0 / 60_000,
                "account:" + account, "accounts", "interaction-count", "model", "owner-accounts:k", "owner-crawl-pages:k",
                "owner-queries:k", "owner-registration-window:k:" + T0 / 60_000, "owner-registrations:k", "sequence",
            }.Order(),
            keys);

        await store.ResetAsync("{}");
        Assert.Equal([RedisKeys.Scenario(prefix)], await KeysAsync(prefix));
    }

    [Fact]
    public async Task A_window_key_gets_its_ttl_on_the_first_hit_only()
    {
        var prefix = NewPrefix();
        var store = new RedisPlatformStore(redis.Connection, prefix);
        var limits = new QueryLimits(PerAccountPerWindow: 10, WindowMs: 100_000, BudgetPerKey: 0);
        var window = RedisKeys.AccountQueryWindow(prefix, "a", T0 / 100_000);

        await store.TryConsumeQueryAsync("k", "a", limits, T0);
        var first = await redis.Connection.GetDatabase().KeyTimeToLiveAsync(window);
        Assert.InRange(first!.Value.TotalMilliseconds, 190_000, 200_000); // rest of the window plus one window

        await store.TryConsumeQueryAsync("k", "a", limits, T0 + 99_000); // would ask for ~101 s if it were set again
        var second = await redis.Connection.GetDatabase().KeyTimeToLiveAsync(window);
        Assert.InRange(second!.Value.TotalMilliseconds, 190_000, first.Value.TotalMilliseconds);

        var registrationWindow = RedisKeys.OwnerRegistrationWindow(prefix, "k", T0 / 100_000);
        await store.RegisterAsync("k", null, new RegistrationLimits(0, 5, 100_000), T0);
        Assert.NotNull(await redis.Connection.GetDatabase().KeyTimeToLiveAsync(registrationWindow));
    }

    [Fact]
    public async Task AddPlatformStore_wires_a_redis_store_from_configuration()
    {
        var prefix = NewPrefix();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Store:Kind"] = "redis",
            ["Store:Redis"] = redis.Server.ConnectionString,
            ["Store:KeyPrefix"] = prefix,
        }).Build();
        await using var services = new ServiceCollection().AddPlatformStore(configuration).BuildServiceProvider();

        var store = Assert.IsType<RedisPlatformStore>(services.GetRequiredService<IPlatformStore>());
        Assert.Equal(prefix, store.KeyPrefix);
        await store.ResetAsync("wired");
        Assert.Equal("wired", await new RedisPlatformStore(redis.Connection, prefix).GetScenarioAsync());
    }
}
