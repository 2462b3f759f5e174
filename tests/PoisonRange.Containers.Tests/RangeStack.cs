using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using Xunit;

namespace PoisonRange.Containers.Tests;

/// <summary>
/// The range as compose runs it, started by Testcontainers from the pinned local images: a
/// platform with its own Redis, an agent and an injector with the attacker's Redis, on one
/// network where services find each other by name. The tests reach them through published ports.
/// </summary>
public sealed class RangeStack : IAsyncLifetime
{
    public const string OperatorToken = "operator-token-under-test";
    public const string AttackerKey = "attacker";
    public const int PlatformPort = 5000;
    public const int RefereePort = 5001;
    public const int AgentPort = 5002;
    public const int InjectorPort = 5003;

    /// <summary>The injector's own pace (calls per second), so that a test can act mid-injection.</summary>
    public const int InjectorCallsPerSecond = 25;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private INetwork? _network;
    private IContainer? _platformRedis;
    private IContainer? _attackerRedis;
    private IContainer? _platform;
    private IContainer? _agent;
    private IContainer? _injector;
    private readonly Dictionary<IContainer, GrpcServing> _probes = [];

    static RangeStack()
    {
        // Probes the engine first: that settles the API version Testcontainers must speak.
        _ = DockerEngine.UnavailableReason;
        // The resource reaper is an image from a registry; the fixture removes what it starts.
        TestcontainersSettings.ResourceReaperEnabled = false;
    }

    public IContainer Platform => _platform ?? throw new InvalidOperationException("the stack is not started");

    public Uri PlatformAddress => Address(Platform, PlatformPort);
    public Uri RefereeAddress => Address(Platform, RefereePort);
    public Uri AgentAddress => Address(_agent!, AgentPort);
    public Uri InjectorAddress => Address(_injector!, InjectorPort);

    private static Uri Address(IContainer container, int port) => new($"http://{container.Hostname}:{container.GetMappedPublicPort(port)}");

    public async Task InitializeAsync()
    {
        if (DockerEngine.UnavailableReason is { } reason)
        {
            if (DockerEngine.Required) throw new InvalidOperationException($"{DockerEngine.RequireVariable}=1 but {reason}");
            return; // every test of the collection is skipped with the reason
        }
        var id = Guid.NewGuid().ToString("N")[..8];
        _network = new NetworkBuilder().WithName($"poisonrange-test-{id}").Build();
        await _network.CreateAsync();

        _platformRedis = Redis("platform-redis");
        _attackerRedis = Redis("attacker-redis");
        await Task.WhenAll(_platformRedis.StartAsync(), _attackerRedis.StartAsync());

        // Started once the Referee API is ready (its store answers); the Platform API is ready only
        // once a scenario's model serves, which the tests configure through the Referee.
        _platform = Service("platform", RefereePort, ["platform"], new()
        {
            ["Platform__Url"] = $"http://0.0.0.0:{PlatformPort}",
            ["Referee__Url"] = $"http://0.0.0.0:{RefereePort}",
            ["Platform__OperatorToken"] = OperatorToken,
            ["Platform__TrainThreads"] = "1",
            ["Store__Kind"] = "redis",
            ["Store__Redis"] = "platform-redis:6379",
        }, PlatformPort);
        await StartAsync(_platform);

        var attacker = new Dictionary<string, string>
        {
            ["Platform__Address"] = $"http://platform:{PlatformPort}",
            ["Platform__AttackerKey"] = AttackerKey,
        };
        _agent = Service("agent", AgentPort, ["agent", "--urls", $"http://0.0.0.0:{AgentPort}"], attacker);
        _injector = Service("injector", InjectorPort, ["injector", "--urls", $"http://0.0.0.0:{InjectorPort}"], new(attacker)
        {
            ["Store__Kind"] = "Redis",
            ["Store__Redis"] = "attacker-redis:6379",
            ["Platform__RateLimitPerSecond"] = InjectorCallsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Platform__RetryMaxAttempts"] = "8",
        });
        await Task.WhenAll(StartAsync(_agent), StartAsync(_injector));
    }

    /// <summary>Starts a service container; a start that times out says what the probe saw and what the container wrote.</summary>
    private async Task StartAsync(IContainer container)
    {
        try
        {
            await container.StartAsync();
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{container.Name} did not become healthy: last probe {_probes[container].LastAnswer}\n{await LogsAsync(container)}", e);
        }
    }

    private IContainer Redis(string alias) =>
        new ContainerBuilder(DockerEngine.RedisImage)
            .WithName($"{_network!.Name}-{alias}")
            .WithNetwork(_network)
            .WithNetworkAliases(alias)
            .WithCommand("redis-server", "--appendonly", "yes")
            .WithWaitStrategy(Wait.ForUnixContainer().UntilCommandIsCompleted(["redis-cli", "ping"], o => o.WithTimeout(StartTimeout)))
            .Build();

    private IContainer Service(string alias, int port, string[] command, Dictionary<string, string> environment, int? extraPort = null)
    {
        var probe = new GrpcServing(port);
        var builder = new ContainerBuilder(DockerEngine.ProjectImage)
            .WithName($"{_network!.Name}-{alias}")
            .WithNetwork(_network)
            .WithNetworkAliases(alias)
            .WithCommand(command)
            .WithEnvironment(environment)
            .WithPortBinding(port, true)
            .WithWaitStrategy(Wait.ForUnixContainer().AddCustomWaitStrategy(probe, o => o.WithTimeout(StartTimeout)));
        if (extraPort is { } p) builder = builder.WithPortBinding(p, true);
        var container = builder.Build();
        _probes[container] = probe;
        return container;
    }

    /// <summary>Kills the platform's process at once (SIGKILL through the engine), as a crash would.</summary>
    public async Task KillPlatformAsync()
    {
        using var client = DockerEngine.CreateClient();
        await client.Containers.KillContainerAsync(Platform.Id, new ContainerKillParameters { Signal = "KILL" });
        for (int i = 0; i < 100; i++)
        {
            var state = await client.Containers.InspectContainerAsync(Platform.Id);
            if (state.State is not { Running: true }) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("the platform container still runs 10 s after SIGKILL");
    }

    /// <summary>Starts the same platform container again (same Redis, same name on the network) and waits until it serves.</summary>
    public Task RestartPlatformAsync() => StartAsync(Platform);

    /// <summary>The last lines a container wrote, for failure messages.</summary>
    public async Task<string> LogsAsync(IContainer? container)
    {
        if (container is null) return "";
        var (stdout, stderr) = await container.GetLogsAsync();
        var lines = (stdout + stderr).Split('\n');
        return string.Join('\n', lines.TakeLast(30));
    }

    public async Task<string> AllLogsAsync() =>
        $"--- platform\n{await LogsAsync(_platform)}\n--- agent\n{await LogsAsync(_agent)}\n--- injector\n{await LogsAsync(_injector)}";

    public async Task DisposeAsync()
    {
        foreach (var c in new[] { _injector, _agent, _platform, _attackerRedis, _platformRedis })
            if (c is not null) await c.DisposeAsync();
        if (_network is not null)
        {
            await _network.DeleteAsync();
            await _network.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RangeStackCollection : ICollectionFixture<RangeStack>
{
    public const string Name = "range stack in containers";
}
