using Grpc.Core;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Testing.Fakes;
using Xunit;

namespace PoisonRange.Client.Tests;

public sealed class PlatformClientTests
{
    private static PlatformClientOptions Options(FakePlatformHost host, Action<PlatformClientOptions>? change = null)
    {
        var o = new PlatformClientOptions
        {
            Address = host.Address,
            AttackerKey = "attacker-key",
            Deadline = TimeSpan.FromSeconds(20),
            RateLimitPerSecond = 0,
            RetryMaxAttempts = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        };
        change?.Invoke(o);
        return o;
    }

    [Fact]
    public async Task Every_call_carries_the_bearer_key()
    {
        await using var host = await FakePlatformHost.StartAsync(new FakePlatformState().WithCatalogue(5, users: 3));
        using var client = new PlatformClient(Options(host));

        var account = await client.RegisterAsync("k1");
        await client.RecordAsync(account, [new Interaction { ItemId = "i001", TimestampMs = 5 }], "b1");
        await client.RecommendAsync(account, 3);
        await client.ListAllItemsAsync(2);
        await client.CrawlAsync(2);
        await client.GetQuotaAsync();

        Assert.NotEmpty(host.State.Authorizations);
        Assert.All(host.State.Authorizations, a => Assert.Equal("Bearer attacker-key", a));
        var counts = client.Counters.Snapshot();
        Assert.Equal(1, counts.Queries);
        Assert.Equal(2, counts.CrawlPages);
        Assert.Equal(0, counts.Retries);
    }

    [Fact]
    public async Task An_unknown_key_is_refused_without_retry()
    {
        await using var host = await FakePlatformHost.StartAsync();
        using var client = new PlatformClient(Options(host, o => o.AttackerKey = "stolen"));
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.GetQuotaAsync());
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Equal(1, host.State.Calls("GetQuota"));
    }

    [Fact]
    public async Task Retry_waits_exactly_the_servers_retry_after_then_succeeds()
    {
        var state = new FakePlatformState();
        state.BeforeCall = (method, n) =>
        {
            if (method == "Register" && n == 1) throw FakePlatformState.Exhausted("registrations-per-window", "window full", 5000);
        };
        await using var host = await FakePlatformHost.StartAsync(state);
        var time = new ObservedTimeProvider();
        using var client = new PlatformClient(Options(host), time);

        var register = client.RegisterAsync("same-key");
        await time.WaitForTimerAsync(TimeSpan.FromMilliseconds(5000));
        Assert.Equal(1, state.Calls("Register"));

        time.Advance(TimeSpan.FromMilliseconds(4999));
        await Task.Delay(100);
        Assert.Equal(1, state.Calls("Register"));
        Assert.False(register.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(1));
        var account = await register.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, state.Calls("Register"));
        Assert.StartsWith("acct-", account);
        var counts = client.Counters.Snapshot();
        Assert.Equal(1, counts.Retries);
        Assert.Equal(1, counts.LimitWaits);
    }

    [Fact]
    public async Task No_retry_when_the_limit_never_resets()
    {
        var state = new FakePlatformState { ActionsPerAccount = 2 }.WithCatalogue(5);
        await using var host = await FakePlatformHost.StartAsync(state);
        using var client = new PlatformClient(Options(host), new ObservedTimeProvider());
        var account = await client.RegisterAsync("a");

        var batch = new[] { "i000", "i001", "i002" }.Select((id, i) => new Interaction { ItemId = id, TimestampMs = i + 1 });
        var ex = await Assert.ThrowsAsync<PlatformLimitException>(() => client.RecordAsync(account, batch, "b0"));

        Assert.Equal("actions", ex.Limit);
        Assert.True(ex.IsPermanent);
        Assert.Null(ex.RetryAfter);
        Assert.Equal(PlatformCallKind.Record, ex.Operation);
        Assert.Contains("does not reset", ex.Message);
        Assert.Equal(1, state.Calls("Record"));
        Assert.Equal(0, client.Counters.Snapshot().Retries);
    }

    [Fact]
    public async Task A_retry_delay_longer_than_the_client_waits_surfaces_with_the_delay()
    {
        var state = new FakePlatformState();
        state.BeforeCall = (method, _) =>
        {
            if (method == "Register") throw FakePlatformState.Exhausted("registrations-per-window", "window full", 600_000);
        };
        await using var host = await FakePlatformHost.StartAsync(state);
        using var client = new PlatformClient(Options(host, o => o.MaxRetryAfter = TimeSpan.FromMinutes(1)), new ObservedTimeProvider());

        var ex = await Assert.ThrowsAsync<PlatformLimitException>(() => client.RegisterAsync("x"));
        Assert.Equal(TimeSpan.FromMinutes(10), ex.RetryAfter);
        Assert.Equal("registrations-per-window", ex.Limit);
        Assert.Equal(1, state.Calls("Register"));
    }

    [Fact]
    public async Task Unavailable_is_retried_with_backoff()
    {
        var state = new FakePlatformState();
        state.BeforeCall = (method, n) =>
        {
            if (n <= 2) throw new RpcException(new Status(StatusCode.Unavailable, "restarting"));
        };
        await using var host = await FakePlatformHost.StartAsync(state);
        var time = new ObservedTimeProvider();
        using var client = new PlatformClient(Options(host, o => o.RetryBaseDelay = TimeSpan.FromSeconds(1)), time);

        var quota = client.GetQuotaAsync();
        while (!quota.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(10);
        }
        await quota;
        Assert.Equal(3, state.Calls("GetQuota"));
        Assert.Equal(2, client.Counters.Snapshot().Retries);
        Assert.Equal(0, client.Counters.Snapshot().LimitWaits);
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_unavailable()
    {
        var state = new FakePlatformState();
        state.BeforeCall = (_, _) => throw new RpcException(new Status(StatusCode.Unavailable, "down"));
        await using var host = await FakePlatformHost.StartAsync(state);
        var time = new ObservedTimeProvider();
        using var client = new PlatformClient(Options(host, o =>
        {
            o.RetryMaxAttempts = 0;
            o.CircuitBreaker = new CircuitBreakerSettings { MinimumThroughput = 4, FailureRatio = 0.5, BreakDuration = TimeSpan.FromSeconds(30) };
        }), time);

        for (int i = 0; i < 4; i++)
        {
            var down = await Assert.ThrowsAsync<PlatformUnavailableException>(() => client.GetQuotaAsync());
            Assert.False(down.CircuitOpen);
        }
        var open = await Assert.ThrowsAsync<PlatformUnavailableException>(() => client.RecommendAsync("acct-0001", 5));
        Assert.True(open.CircuitOpen);
        Assert.Equal(4, state.Calls("GetQuota"));
        Assert.Equal(0, state.Calls("Recommend"));

        // After the break a probe goes through; the platform is back, so the circuit closes.
        state.BeforeCall = null;
        time.Advance(TimeSpan.FromSeconds(31));
        await client.GetQuotaAsync();
        await client.GetQuotaAsync();
        Assert.Equal(6, state.Calls("GetQuota"));
    }

    [Fact]
    public async Task A_crawl_resumes_after_the_last_page_received()
    {
        var state = new FakePlatformState().WithCatalogue(20, users: 23);
        bool failed = false;
        state.BeforeCrawlPage = page =>
        {
            if (page == 3 && !failed)
            {
                failed = true;
                throw new RpcException(new Status(StatusCode.Unavailable, "connection reset"));
            }
        };
        await using var host = await FakePlatformHost.StartAsync(state);
        using var client = new PlatformClient(Options(host));
        var reports = new List<CrawlProgress>();

        var users = await client.CrawlAsync(5, new SyncProgress<CrawlProgress>(reports.Add));

        Assert.Equal(state.PublicHistories.Select(h => h.UserId), users.Select(u => u.UserId));
        Assert.Equal(["", "10"], state.CrawlTokens.ToArray());
        Assert.Equal(5, client.Counters.Snapshot().CrawlPages);
        Assert.Equal(1, client.Counters.Snapshot().Retries);
        Assert.Equal(23, reports[^1].Users);
        Assert.Equal(1, reports[^1].Resumptions);
    }

    [Fact]
    public async Task The_catalogue_is_listed_page_by_page()
    {
        await using var host = await FakePlatformHost.StartAsync(new FakePlatformState().WithCatalogue(11));
        using var client = new PlatformClient(Options(host));
        var items = await client.ListAllItemsAsync(4);
        Assert.Equal(11, items.Count);
        Assert.Equal(3, host.State.Calls("ListItems"));
    }

    [Fact]
    public async Task The_client_rate_limit_paces_calls_on_the_injected_clock()
    {
        await using var host = await FakePlatformHost.StartAsync();
        var time = new ObservedTimeProvider();
        using var client = new PlatformClient(Options(host, o => { o.RateLimitPerSecond = 10; o.RateLimitBurst = 2; }), time);

        var calls = Enumerable.Range(0, 4).Select(_ => client.GetQuotaAsync()).ToArray();
        await Eventually.TrueAsync(() => host.State.Calls("GetQuota") == 2, "two calls within the burst");
        await Task.Delay(100);
        Assert.Equal(2, host.State.Calls("GetQuota"));

        time.Advance(TimeSpan.FromMilliseconds(100));
        await Eventually.TrueAsync(() => host.State.Calls("GetQuota") == 3, "one more call after 100 ms");
        time.Advance(TimeSpan.FromMilliseconds(100));
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(4, host.State.Calls("GetQuota"));
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new PlatformClient(new PlatformClientOptions { Address = "not a uri", AttackerKey = "k" }));
        Assert.Throws<ArgumentException>(() => new PlatformClient(new PlatformClientOptions { Address = "http://127.0.0.1:1", AttackerKey = "" }));
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
