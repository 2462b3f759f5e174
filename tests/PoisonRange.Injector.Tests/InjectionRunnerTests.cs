using System.Globalization;
using Grpc.Core;
using PoisonRange.Client;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Injector.Store;
using PoisonRange.Testing;
using PoisonRange.Testing.Fakes;
using StackExchange.Redis;
using Xunit;

namespace PoisonRange.Injector.Tests;

public sealed class InjectionRunnerTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    public static TheoryData<string> Stores => new() { "memory", "redis" };

    /// <summary>One "process" worth of store: a new Redis connection each time (the state lives in Redis), or the same in-memory store.</summary>
    private sealed class StoreFactory(RedisFixture redis, string kind) : IAsyncDisposable
    {
        private readonly string _prefix = "test:" + Guid.NewGuid().ToString("N")[..8] + ":";
        private readonly InMemoryInjectionStore _memory = new();
        private readonly List<ConnectionMultiplexer> _connections = [];

        public async Task<IInjectionStore> NewProcessAsync()
        {
            if (kind == "memory") return _memory;
            var connection = await redis.Server.ConnectAsync();
            _connections.Add(connection);
            return new RedisInjectionStore(connection, _prefix);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in _connections) await c.DisposeAsync();
        }
    }

    private static PlatformClient Client(FakePlatformHost host, int retries = 4) => new(new PlatformClientOptions
    {
        Address = host.Address,
        AttackerKey = "attacker-key",
        RateLimitPerSecond = 0,
        RetryMaxAttempts = retries,
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        RetryMaxDelay = TimeSpan.FromMilliseconds(50),
    });

    private static InjectionRunner Runner(PlatformClient client, IInjectionStore store, Action<InjectorOptions>? change = null)
    {
        var options = new InjectorOptions { MaxConcurrentProfiles = 3 };
        change?.Invoke(options);
        return new InjectionRunner(client, store, options);
    }

    private static List<FakeProfile> Profiles(int count, int length, int catalogue)
    {
        var list = new List<FakeProfile>();
        for (int p = 0; p < count; p++)
        {
            var profile = new FakeProfile { ProfileId = "p" + p.ToString("D2", CultureInfo.InvariantCulture) };
            for (int j = 0; j < length; j++)
                profile.Interactions.Add(new Interaction
                {
                    ItemId = "i" + ((p * 7 + j) % catalogue).ToString("D3", CultureInfo.InvariantCulture),
                    TimestampMs = 1_000 + j,
                });
            list.Add(profile);
        }
        return list;
    }

    /// <summary>The platform holds exactly one account per profile, with exactly the profile's interactions.</summary>
    private static void AssertDeliveredExactly(FakePlatformState platform, IReadOnlyList<FakeProfile> profiles, InjectResult result)
    {
        Assert.Equal(profiles.Count, platform.Accounts.Count);
        var byProfile = result.Accounts.ToDictionary(a => a.ProfileId, a => a.AccountId);
        Assert.Equal(profiles.Count, byProfile.Count);
        Assert.Equal(profiles.Count, byProfile.Values.Distinct().Count());
        foreach (var p in profiles)
        {
            var account = platform.Accounts.Single(a => a.Id == byProfile[p.ProfileId]);
            Assert.Equal(p.Interactions, account.Interactions);
        }
        Assert.Equal(InjectionStates.Completed, result.State);
        Assert.Equal(profiles.Count, result.ProfilesCompleted);
        Assert.Equal(profiles.Sum(p => p.Interactions.Count), result.InteractionsRecorded);
        Assert.Equal(result.InteractionsTotal, result.InteractionsRecorded);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Every_profile_is_delivered_exactly(string kind)
    {
        await using var host = await FakePlatformHost.StartAsync(new FakePlatformState { ActionsPerAccount = 14 }.WithCatalogue(50));
        await using var stores = new StoreFactory(redis, kind);
        using var client = Client(host);
        var runner = Runner(client, await stores.NewProcessAsync());
        var profiles = Profiles(9, 14, 50);
        var reports = new List<Contracts.Common.V1.Progress>();

        var result = await runner.RunAsync(new InjectionJobSpec("job-exact", profiles, BatchSize: 5), new SyncProgress(reports));

        AssertDeliveredExactly(host.State, profiles, result);
        Assert.Equal(9, host.State.Calls("Register"));
        Assert.Equal(27, host.State.Calls("Record"));
        Assert.Equal(0, host.State.RecordReplays);
        Assert.Equal("", result.Error);
        Assert.Equal(126, reports.Max(r => r.Done));
        Assert.Equal(126, reports[^1].Total);
        Assert.True(result.PlatformCalls >= 9 + 27);

        var stored = await runner.GetJobAsync("job-exact");
        Assert.Equal(result, stored);
    }

    public static TheoryData<string, string> Crashes => new()
    {
        { "memory", "cancel" }, { "redis", "cancel" },
        { "memory", "store-account" }, { "redis", "store-account" },
        { "memory", "store-batch" }, { "redis", "store-batch" },
    };

    [Theory]
    [MemberData(nameof(Crashes))]
    public async Task A_crashed_job_resumes_without_duplicates(string kind, string crash)
    {
        await using var host = await FakePlatformHost.StartAsync(new FakePlatformState().WithCatalogue(40));
        await using var stores = new StoreFactory(redis, kind);
        var profiles = Profiles(8, 10, 40);
        var spec = new InjectionJobSpec("job-crash-" + crash, profiles, BatchSize: 4);

        // First process: dies part-way.
        using (var client = Client(host))
        {
            var store = await stores.NewProcessAsync();
            using var cts = new CancellationTokenSource();
            IInjectionStore used = store;
            switch (crash)
            {
                case "cancel":
                    // Stop right after the platform applied a Record, before its answer is stored.
                    host.State.AfterCall = (method, n) => { if (method == "Record" && n == 7) cts.Cancel(); };
                    break;
                case "store-account":
                    used = new CrashingStore(store, failAccountAt: 4, failBatchAt: 0);
                    break;
                case "store-batch":
                    used = new CrashingStore(store, failAccountAt: 0, failBatchAt: 9);
                    break;
            }
            var runner = Runner(client, used);
            var first = await Record.ExceptionAsync(() => runner.RunAsync(spec, null, cts.Token));
            Assert.NotNull(first);
            Assert.True(first is OperationCanceledException or CrashException, first.ToString());
            host.State.AfterCall = null;
            Assert.True(host.State.Accounts.Count < profiles.Count || host.State.Accounts.Sum(a => a.Interactions.Count) < 80);
        }

        // Second process: a new client, runner and store connection; resume by job id alone.
        using (var client = Client(host))
        {
            var runner = Runner(client, await stores.NewProcessAsync());
            var before = await runner.GetJobAsync(spec.JobId);
            Assert.NotNull(before);
            Assert.NotEqual(InjectionStates.Completed, before.State);

            var result = await runner.RunAsync(new InjectionJobSpec(spec.JobId, []));

            AssertDeliveredExactly(host.State, profiles, result);
            var stats = await (await stores.NewProcessAsync()).GetStatsAsync(spec.JobId);
            Assert.Equal(2, stats!.Runs);
            if (crash == "store-account") Assert.True(host.State.RegisterReplays >= 1);
            if (crash == "store-batch") Assert.True(host.State.RecordReplays >= 1 && result.ReplayedBatches >= 1);
        }
    }

    [Fact]
    public async Task A_lost_answer_is_retried_with_the_same_key_and_counts_once()
    {
        var state = new FakePlatformState().WithCatalogue(30);
        state.AfterCall = (method, n) =>
        {
            if (method == "Record" && n is 2 or 5) throw new RpcException(new Status(StatusCode.Unavailable, "answer lost"));
        };
        await using var host = await FakePlatformHost.StartAsync(state);
        using var client = Client(host);
        var profiles = Profiles(3, 9, 30);

        // One profile at a time, so the retry of call 2 is call 3 and call 5 is a first attempt.
        var result = await Runner(client, new InMemoryInjectionStore(), o => o.MaxConcurrentProfiles = 1)
            .RunAsync(new InjectionJobSpec("job-lost", profiles, BatchSize: 3));

        AssertDeliveredExactly(state, profiles, result);
        Assert.Equal(2, state.RecordReplays);
        Assert.Equal(2, result.ReplayedBatches);
        Assert.Equal(2, result.Retries);
    }

    [Fact]
    public async Task Registration_windows_are_waited_out_not_overrun()
    {
        var state = new FakePlatformState { RegistrationsPerWindow = 3, RegistrationWindow = TimeSpan.FromMilliseconds(250), ActionsPerAccount = 4 }.WithCatalogue(20);
        await using var host = await FakePlatformHost.StartAsync(state);
        using var client = Client(host, retries: 20);
        var profiles = Profiles(8, 4, 20);

        var result = await Runner(client, new InMemoryInjectionStore(), o => o.MaxConcurrentProfiles = 4)
            .RunAsync(new InjectionJobSpec("job-window", profiles, BatchSize: 2));

        AssertDeliveredExactly(state, profiles, result);
        Assert.True(result.Retries >= 2, $"expected waits for the registration window, got {result.Retries} retries");
        Assert.True(client.Counters.Snapshot().LimitWaits >= 2);
        Assert.True(state.MaxConcurrentRegistrationsInWindow <= 3);
    }

    [Fact]
    public async Task Profiles_longer_than_M_are_refused_before_any_registration()
    {
        await using var host = await FakePlatformHost.StartAsync(new FakePlatformState { ActionsPerAccount = 3 }.WithCatalogue(20));
        using var client = Client(host);

        var result = await Runner(client, new InMemoryInjectionStore()).RunAsync(new InjectionJobSpec("job-long", Profiles(2, 5, 20)));

        Assert.Equal(InjectionStates.Failed, result.State);
        Assert.Contains("3 actions per account", result.Error);
        Assert.Equal(0, host.State.Calls("Register"));
        Assert.Equal(0, result.AccountsRegistered);
    }

    [Fact]
    public async Task A_permanent_limit_stops_the_job_cleanly_and_it_resumes_once_lifted()
    {
        var state = new FakePlatformState { AccountsLimit = 3 }.WithCatalogue(20);
        await using var host = await FakePlatformHost.StartAsync(state);
        using var client = Client(host);
        var store = new InMemoryInjectionStore();
        var profiles = Profiles(5, 4, 20);
        var runner = Runner(client, store, o => { o.CheckQuotaFirst = false; o.MaxConcurrentProfiles = 1; });

        var failed = await runner.RunAsync(new InjectionJobSpec("job-accounts", profiles, BatchSize: 4));

        Assert.Equal(InjectionStates.Failed, failed.State);
        Assert.Contains("'accounts'", failed.Error);
        Assert.Equal(3, failed.AccountsRegistered);
        Assert.Equal(3, failed.ProfilesCompleted);
        Assert.Equal(4, state.Calls("Register")); // the refused fourth was not retried

        state.AccountsLimit = 0;
        var resumed = await runner.RunAsync(new InjectionJobSpec("job-accounts", profiles, BatchSize: 4));
        AssertDeliveredExactly(state, profiles, resumed);
    }

    [Fact]
    public async Task The_quota_check_refuses_a_job_needing_more_accounts_than_left()
    {
        await using var host = await FakePlatformHost.StartAsync(new FakePlatformState { AccountsLimit = 2 }.WithCatalogue(20));
        using var client = Client(host);
        var result = await Runner(client, new InMemoryInjectionStore()).RunAsync(new InjectionJobSpec("job-q", Profiles(3, 2, 20)));
        Assert.Equal(InjectionStates.Failed, result.State);
        Assert.Contains("needs 3 accounts", result.Error);
        Assert.Equal(0, host.State.Calls("Register"));
    }

    [Fact]
    public async Task A_job_id_cannot_be_reused_for_other_profiles()
    {
        await using var host = await FakePlatformHost.StartAsync(new FakePlatformState().WithCatalogue(20));
        using var client = Client(host);
        var runner = Runner(client, new InMemoryInjectionStore());
        await runner.RunAsync(new InjectionJobSpec("job-same", Profiles(2, 2, 20)));

        await Assert.ThrowsAsync<InjectionConflictException>(() => runner.RunAsync(new InjectionJobSpec("job-same", Profiles(3, 2, 20))));
        await Assert.ThrowsAsync<InjectionJobNotFoundException>(() => runner.RunAsync(new InjectionJobSpec("job-unknown", [])));
        await Assert.ThrowsAsync<InjectionRequestException>(() => runner.RunAsync(new InjectionJobSpec("job-dup", [new FakeProfile { ProfileId = "a" }, new FakeProfile { ProfileId = "a" }])));

        // Sending the same profiles again is a no-op resume.
        var again = await runner.RunAsync(new InjectionJobSpec("job-same", Profiles(2, 2, 20)));
        Assert.Equal(InjectionStates.Completed, again.State);
        Assert.Equal(2, host.State.Calls("Register"));
    }

    private sealed class SyncProgress(List<Contracts.Common.V1.Progress> reports) : IProgress<Contracts.Common.V1.Progress>
    {
        public void Report(Contracts.Common.V1.Progress value)
        {
            lock (reports) reports.Add(value);
        }
    }

    private sealed class CrashException(string message) : Exception(message);

    /// <summary>A store whose n-th account or batch write fails, as a process dying right after the platform answered.</summary>
    private sealed class CrashingStore(IInjectionStore inner, int failAccountAt, int failBatchAt) : IInjectionStore
    {
        private int _accounts;
        private int _batches;

        public Task<InjectionJob> CreateJobAsync(InjectionJob job, CancellationToken ct = default) => inner.CreateJobAsync(job, ct);
        public Task<InjectionJob?> GetJobAsync(string jobId, CancellationToken ct = default) => inner.GetJobAsync(jobId, ct);
        public Task<IReadOnlyDictionary<string, ProfileProgress>> GetProgressAsync(string jobId, CancellationToken ct = default) => inner.GetProgressAsync(jobId, ct);
        public Task<InjectionRunStats?> GetStatsAsync(string jobId, CancellationToken ct = default) => inner.GetStatsAsync(jobId, ct);
        public Task SaveStatsAsync(string jobId, InjectionRunStats stats, CancellationToken ct = default) => inner.SaveStatsAsync(jobId, stats, ct);

        public Task<string> SetAccountAsync(string jobId, string profileId, string accountId, CancellationToken ct = default)
            => Interlocked.Increment(ref _accounts) == failAccountAt ? throw new CrashException("crash before the account was stored") : inner.SetAccountAsync(jobId, profileId, accountId, ct);

        public Task SetBatchesDoneAsync(string jobId, string profileId, int batchesDone, CancellationToken ct = default)
            => Interlocked.Increment(ref _batches) == failBatchAt ? throw new CrashException("crash before the batch was stored") : inner.SetBatchesDoneAsync(jobId, profileId, batchesDone, ct);
    }
}
