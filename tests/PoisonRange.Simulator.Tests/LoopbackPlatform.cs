using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using PoisonRange.Client;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Platform;
using Xunit;

namespace PoisonRange.Simulator.Tests;

/// <summary>A platform on loopback ports, an operator client, and attacker clients made through the public PlatformClient.</summary>
public sealed class LoopbackPlatform : IAsyncLifetime
{
    public const string OperatorToken = "operator-secret";
    public const string AttackerKey = "attacker-sim";

    private GrpcChannel? _refereeChannel;

    public RunningPlatform Running { get; private set; } = null!;
    public Referee.RefereeClient Referee { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Running = await PlatformHost.StartAsync(new PlatformHostOptions { OperatorToken = OperatorToken, TrainThreads = 1, SchedulerPollMs = 20 });
        _refereeChannel = GrpcChannel.ForAddress(Running.RefereeAddress);
        Referee = new Referee.RefereeClient(_refereeChannel.Intercept(m => { m.Add("authorization", $"Bearer {OperatorToken}"); return m; }));
    }

    /// <summary>
    /// Synthetic data (200 users, 120 items, mean length 15), the given victim, limits roomy
    /// enough for the tests unless <paramref name="limits"/> changes them. Retraining is off, so
    /// probe accounts are served by fold-in as the simulator expects.
    /// </summary>
    public async Task ConfigureAsync(string victim, Action<Limits>? limits = null, IDictionary<string, string>? hyper = null)
    {
        var scenario = new Scenario
        {
            Name = "simulator-test",
            Seed = 11,
            Dataset = new DatasetSpec { Source = "synthetic", Synthetic = new SyntheticSpec { Users = 200, Items = 120, MeanLength = 15 } },
            Victim = new VictimSpec { Kind = victim },
            Limits = new Limits { ActionsPerAccount = 20, QueriesPerAccountPerWindow = 1000, QueryWindowMs = 60_000, KMax = 50 },
        };
        if (hyper is not null) scenario.Victim.HyperParameters.Add(hyper);
        scenario.AttackerKeys.Add(AttackerKey);
        limits?.Invoke(scenario.Limits);
        await Referee.ConfigureAsync(scenario);
    }

    public PlatformClientOptions ClientOptions() => new()
    {
        Address = Running.PlatformAddress.ToString(),
        AttackerKey = AttackerKey,
        RateLimitPerSecond = 0,
        RetryMaxAttempts = 0,
    };

    public PlatformClient NewClient() => new(ClientOptions());

    public async Task DisposeAsync()
    {
        _refereeChannel?.Dispose();
        if (Running is not null) await Running.DisposeAsync();
    }
}
