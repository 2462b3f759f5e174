using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using PoisonRange.Client;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Contracts.Platform.V1;
using Xunit;
using InjectorClient = PoisonRange.Contracts.Attacker.V1.Injector.InjectorClient;

namespace PoisonRange.Containers.Tests;

/// <summary>
/// The platform container is killed (SIGKILL) while the injector container is delivering fake
/// profiles, then started again on the same Redis. The injector resumes its job (same job id,
/// progress in the attacker's Redis) and the platform ends with every injected interaction
/// exactly once: no account registered twice, no batch recorded twice, none lost.
/// </summary>
[Collection(RangeStackCollection.Name)]
public sealed class PlatformRestartTests(RangeStack stack)
{
    private const int Profiles = 16;
    private const int ActionsPerProfile = 9;
    private const int Total = Profiles * ActionsPerProfile;

    [DockerFact]
    public async Task A_platform_killed_mid_injection_and_restarted_keeps_every_interaction_exactly_once()
    {
        await ConfigureAsync();
        var profiles = await BuildProfilesAsync();
        var job = new InjectRequest { JobId = "restart-" + Guid.NewGuid().ToString("N")[..8], BatchSize = 3, MaxConcurrentProfiles = 2 };
        job.Profiles.AddRange(profiles);

        using var injectorChannel = GrpcChannel.ForAddress(stack.InjectorAddress);
        var injector = new InjectorClient(injectorChannel);

        // First run: kill the platform once a third of the interactions are in.
        long doneAtKill = -1;
        InjectResult? first = null;
        Task? restart = null;
        try
        {
            using var call = injector.Inject(job, deadline: DateTime.UtcNow.AddMinutes(3));
            await foreach (var update in call.ResponseStream.ReadAllAsync())
            {
                if (update.UpdateCase == InjectUpdate.UpdateOneofCase.Result) first = update.Result;
                else if (doneAtKill < 0 && update.Progress.Done >= Total / 3)
                {
                    doneAtKill = update.Progress.Done;
                    await stack.KillPlatformAsync();
                    // Start it again while the injector is still retrying, as an operator would.
                    restart = Task.Run(async () => { await Task.Delay(1500); await stack.RestartPlatformAsync(); });
                }
            }
        }
        catch (RpcException e) when (doneAtKill >= 0 && e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Aborted)
        {
            // The injector may give up while the platform is down; it is resumed below.
        }
        Assert.True(doneAtKill >= 0 && doneAtKill < Total, $"the platform was not killed mid-injection (done at kill: {doneAtKill}, first result: {first})");
        if (restart is null) await stack.RestartPlatformAsync();
        else await restart;

        // Resume until the job is complete (the first run may have completed through retries already).
        InjectResult result = first ?? new InjectResult { State = "interrupted" };
        for (int attempt = 0; attempt < 3 && result.State != "completed"; attempt++)
        {
            using var call = injector.Inject(job, deadline: DateTime.UtcNow.AddMinutes(3));
            await foreach (var update in call.ResponseStream.ReadAllAsync())
                if (update.UpdateCase == InjectUpdate.UpdateOneofCase.Result) result = update.Result;
        }
        Assert.True(result.State == "completed", $"job state {result.State}: {result.Error}\n{await stack.AllLogsAsync()}");
        Assert.Equal(Profiles, result.ProfilesCompleted);
        Assert.Equal(Total, result.InteractionsRecorded);

        // The platform's own ground truth, read after the restart from its Redis.
        var referee = Referee();
        var accounts = (await referee.client.ListAccountsAsync(new ListAccountsRequest { OwnerKey = RangeStack.AttackerKey })).Accounts;
        Assert.Equal(Profiles, accounts.Count);
        Assert.All(accounts, a => Assert.Equal(ActionsPerProfile, a.Actions));
        Assert.All(accounts, a => Assert.True(a.Fake));
        Assert.Equal(result.Accounts.Select(a => a.AccountId).Order(), accounts.Select(a => a.AccountId).Order());
        var status = await referee.client.StatusAsync(new StatusRequest());
        Assert.Equal(Total, status.InteractionsSinceRetrain);
        referee.channel.Dispose();
    }

    private (Referee.RefereeClient client, GrpcChannel channel) Referee()
    {
        var channel = GrpcChannel.ForAddress(stack.RefereeAddress);
        var invoker = channel.Intercept(m => { m.Add("authorization", $"Bearer {RangeStack.OperatorToken}"); return m; });
        return (new Referee.RefereeClient(invoker), channel);
    }

    private async Task ConfigureAsync()
    {
        var (referee, channel) = Referee();
        using (channel)
        {
            var scenario = new Scenario
            {
                Name = "platform-restart",
                Seed = 11,
                Dataset = new DatasetSpec { Source = "synthetic", Synthetic = new SyntheticSpec { Users = 150, Items = 90, MeanLength = 12 } },
                Victim = new VictimSpec { Kind = "poprec" },
                Limits = new Limits { ActionsPerAccount = ActionsPerProfile + 3 },
                AttackerKeys = { RangeStack.AttackerKey },
            };
            await referee.ConfigureAsync(scenario, deadline: DateTime.UtcNow.AddMinutes(2));
        }
    }

    private async Task<List<FakeProfile>> BuildProfilesAsync()
    {
        using var client = new PlatformClient(new PlatformClientOptions
        {
            Address = stack.PlatformAddress.ToString(),
            AttackerKey = RangeStack.AttackerKey,
            RateLimitPerSecond = 0,
        });
        var items = (await client.ListAllItemsAsync()).Select(i => i.ItemId).ToList();
        var profiles = new List<FakeProfile>();
        for (int p = 0; p < Profiles; p++)
        {
            var profile = new FakeProfile { ProfileId = $"fake-{p}" };
            for (int i = 0; i < ActionsPerProfile; i++)
                profile.Interactions.Add(new Interaction { ItemId = items[(p * 7 + i * 5) % items.Count], TimestampMs = 1_000 + i });
            profiles.Add(profile);
        }
        return profiles;
    }
}
