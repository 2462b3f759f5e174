using Grpc.Core.Interceptors;
using Grpc.Core;
using Grpc.Net.Client;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Platform;
using PlatformApi = PoisonRange.Contracts.Platform.V1.Platform;

namespace PoisonRange.Platform.Tests;

/// <summary>A platform on loopback ports with real gRPC clients for the attacker and the operator.</summary>
internal sealed class PlatformHarness : IAsyncDisposable
{
    public const string OperatorToken = "operator-secret";
    public const string AttackerKey = "attacker-1";
    public const string OtherKey = "attacker-2";

    private readonly List<GrpcChannel> _channels = [];

    private PlatformHarness(RunningPlatform platform)
    {
        Running = platform;
        var platformChannel = Channel(platform.PlatformAddress);
        var refereeChannel = Channel(platform.RefereeAddress);
        Referee = new Referee.RefereeClient(refereeChannel.Intercept(m => { m.Add("authorization", $"Bearer {OperatorToken}"); return m; }));
        Attacker = Client(AttackerKey);
        Other = Client(OtherKey);
        RawPlatform = new PlatformApi.PlatformClient(platformChannel);
        RawReferee = new Referee.RefereeClient(refereeChannel);
    }

    public RunningPlatform Running { get; }
    public Referee.RefereeClient Referee { get; }
    public PlatformApi.PlatformClient Attacker { get; }
    public PlatformApi.PlatformClient Other { get; }
    public PlatformApi.PlatformClient RawPlatform { get; }
    public Referee.RefereeClient RawReferee { get; }

    public PlatformApi.PlatformClient Client(string key) =>
        new(Channel(Running.PlatformAddress).Intercept(m => { m.Add("authorization", $"Bearer {key}"); return m; }));

    private GrpcChannel Channel(Uri address)
    {
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        lock (_channels) _channels.Add(channel);
        return channel;
    }

    public static async Task<PlatformHarness> StartAsync(string store = "memory", string? redis = null, string prefix = "test:")
    {
        var platform = await PlatformHost.StartAsync(new PlatformHostOptions
        {
            OperatorToken = OperatorToken,
            StoreKind = store,
            Redis = redis,
            RedisKeyPrefix = prefix,
            TrainThreads = 1,
            SchedulerPollMs = 20,
        });
        return new PlatformHarness(platform);
    }

    /// <summary>A small synthetic scenario that trains in well under a second.</summary>
    public static Scenario SmallScenario(string victim = "bprmf", Action<Limits>? limits = null)
    {
        var scenario = new Scenario
        {
            Name = "test",
            Seed = 7,
            Dataset = new DatasetSpec { Source = "synthetic", Synthetic = new SyntheticSpec { Users = 200, Items = 120, MeanLength = 15 } },
            Victim = new VictimSpec { Kind = victim },
            Limits = new Limits { ActionsPerAccount = 20, QueriesPerAccountPerWindow = 1000, QueryWindowMs = 60_000, KMax = 50 },
        };
        if (victim == "bprmf")
        {
            scenario.Victim.HyperParameters["epochs"] = "3";
            scenario.Victim.HyperParameters["factors"] = "16";
        }
        scenario.AttackerKeys.Add(AttackerKey);
        scenario.AttackerKeys.Add(OtherKey);
        limits?.Invoke(scenario.Limits);
        return scenario;
    }

    public async Task<IReadOnlyList<string>> ItemsAsync()
    {
        var reply = await Attacker.ListItemsAsync(new ListItemsRequest { PageSize = 1000 });
        return reply.Items.Select(i => i.ItemId).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _channels) c.Dispose();
        await Running.DisposeAsync();
    }
}
