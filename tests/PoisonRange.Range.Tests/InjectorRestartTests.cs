using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using PoisonRange.Client;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Injector;
using PoisonRange.Injector.Store;
using PoisonRange.Platform;
using Xunit;
using ProgressUpdate = PoisonRange.Contracts.Common.V1.Progress;

namespace PoisonRange.Range.Tests;

/// <summary>
/// The injector against the real platform: a job interrupted mid-way and resumed by a new
/// injector (new client, same attacker store) leaves every interaction on the platform exactly once.
/// </summary>
public sealed class InjectorRestartTests
{
    private const string Operator = "operator-token";
    private const string Key = "attacker";

    /// <summary>Reports synchronously, so the test can stop the injector at an exact point.</summary>
    private sealed class InlineProgress(Action<ProgressUpdate> onReport) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value) => onReport(value);
    }

    [Fact]
    public async Task A_restarted_injector_resumes_without_duplicating_accounts_or_interactions()
    {
        await using var platform = await PlatformHost.StartAsync(new PlatformHostOptions { OperatorToken = Operator, TrainThreads = 1 });
        using var refereeChannel = GrpcChannel.ForAddress(platform.RefereeAddress);
        var referee = new Referee.RefereeClient(refereeChannel.Intercept(m => { m.Add("authorization", $"Bearer {Operator}"); return m; }));
        var scenario = new Scenario
        {
            Name = "injector-restart",
            Seed = 3,
            Dataset = new DatasetSpec { Source = "synthetic", Synthetic = new SyntheticSpec { Users = 150, Items = 90, MeanLength = 12 } },
            Victim = new VictimSpec { Kind = "poprec" },
            Limits = new Limits { ActionsPerAccount = 12 },
            AttackerKeys = { Key },
        };
        await referee.ConfigureAsync(scenario);

        var options = new PlatformClientOptions { Address = platform.PlatformAddress.ToString(), AttackerKey = Key, RateLimitPerSecond = 0 };
        var profiles = new List<FakeProfile>();
        using (var probe = new PlatformClient(options))
        {
            var items = (await probe.ListAllItemsAsync()).Select(i => i.ItemId).ToList();
            for (int p = 0; p < 10; p++)
            {
                var profile = new FakeProfile { ProfileId = $"fake-{p}" };
                for (int i = 0; i < 9; i++)
                    profile.Interactions.Add(new Interaction { ItemId = items[(p * 7 + i * 5) % items.Count], TimestampMs = 1_000 + i });
                profiles.Add(profile);
            }
        }

        // The attacker's store outlives the injector process; the injector itself is replaced.
        var store = new InMemoryInjectionStore();
        var spec = new InjectionJobSpec("job-restart", profiles, BatchSize: 3, MaxConcurrentProfiles: 2);
        using (var crash = new CancellationTokenSource())
        using (var first = new PlatformClient(options))
        {
            var runner = new InjectionRunner(first, store, new InjectorOptions());
            var progress = new InlineProgress(u => { if (u.Done >= 20) crash.Cancel(); });
            try
            {
                var partial = await runner.RunAsync(spec, progress, crash.Token);
                Assert.Fail($"the injector was meant to stop mid-job, but finished: {partial.InteractionsRecorded} interactions");
            }
            catch (OperationCanceledException)
            {
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
            {
            }
        }

        var midway = await referee.ListAccountsAsync(new ListAccountsRequest { OwnerKey = Key });
        Assert.InRange(midway.Accounts.Sum(a => a.Actions), 1, 89);

        InjectResult result;
        using (var second = new PlatformClient(options))
        {
            var runner = new InjectionRunner(second, store, new InjectorOptions());
            result = await runner.RunAsync(spec);
        }
        Assert.Equal(10, result.ProfilesCompleted);
        Assert.Equal(90, result.InteractionsRecorded);

        var accounts = await referee.ListAccountsAsync(new ListAccountsRequest { OwnerKey = Key });
        Assert.Equal(10, accounts.Accounts.Count);
        Assert.All(accounts.Accounts, a => Assert.Equal(9, a.Actions));
        Assert.All(accounts.Accounts, a => Assert.True(a.Fake));
        var status = await referee.StatusAsync(new StatusRequest());
        Assert.Equal(90, status.InteractionsSinceRetrain);
    }
}
