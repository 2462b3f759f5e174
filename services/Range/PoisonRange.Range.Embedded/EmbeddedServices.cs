using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PoisonRange.Agent;
using PoisonRange.Estimator;
using PoisonRange.Injector;
using PoisonRange.Platform;
using PoisonRange.Simulator;

namespace PoisonRange.Range.Embedded;

/// <summary>What the embedded services need: the operator token, the attacker key and where datasets are found.</summary>
public sealed record EmbeddedOptions(string OperatorToken, string AttackerKey, string? DataDirectory, bool Verbose);

/// <summary>
/// Every service of an exercise in this process, each on its own loopback port with in-memory
/// stores: the platform (Platform and Referee APIs), the simulator and the estimator, and the
/// agent with the injector. The attacker services get the attacker key and the platform's public
/// address only; the agent reaches the simulator and the estimator through their gRPC clients
/// (<c>Simulator:Address</c>, <c>Estimator:Address</c>), the same way as in compose.
/// </summary>
public sealed class EmbeddedServices : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _started;

    private EmbeddedServices(List<IAsyncDisposable> started, RunningPlatform platform, LoopbackHost simulator, LoopbackHost estimator, LoopbackHost attackers)
    {
        _started = started;
        PlatformAddress = platform.PlatformAddress;
        RefereeAddress = platform.RefereeAddress;
        SimulatorAddress = simulator.Address;
        EstimatorAddress = estimator.Address;
        AgentAddress = attackers.Address;
        InjectorAddress = attackers.Address;
    }

    public Uri PlatformAddress { get; }
    public Uri RefereeAddress { get; }
    public Uri SimulatorAddress { get; }
    public Uri EstimatorAddress { get; }
    public Uri AgentAddress { get; }
    public Uri InjectorAddress { get; }

    /// <summary>Starts the services in dependency order; on failure stops what had started and rethrows.</summary>
    public static async Task<EmbeddedServices> StartAsync(EmbeddedOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = new List<IAsyncDisposable>();
        try
        {
            var platform = await PlatformHost.StartAsync(new PlatformHostOptions
            {
                OperatorToken = options.OperatorToken,
                DataDirectory = options.DataDirectory,
                StoreKind = "memory",
                MinimumLogLevel = options.Verbose ? LogLevel.Information : LogLevel.None,
            }, ct).ConfigureAwait(false);
            started.Add(platform);
            var attackerSettings = new Dictionary<string, string?>
            {
                ["Platform:Address"] = platform.PlatformAddress.ToString(),
                ["Platform:AttackerKey"] = options.AttackerKey,
            };

            var simulator = await LoopbackHost.StartAsync("Simulator", attackerSettings, options.Verbose,
                (services, configuration) => services.AddSimulator(configuration), app => app.MapSimulator(), ct).ConfigureAwait(false);
            started.Add(simulator);
            var estimator = await LoopbackHost.StartAsync("Estimator", new Dictionary<string, string?>(), options.Verbose,
                (services, configuration) => services.AddEstimator(configuration), app => app.MapEstimator(), ct).ConfigureAwait(false);
            started.Add(estimator);

            var agentSettings = new Dictionary<string, string?>(attackerSettings)
            {
                ["Simulator:Address"] = simulator.Address.ToString(),
                ["Estimator:Address"] = estimator.Address.ToString(),
                ["Store:Kind"] = "memory",
            };
            var attackers = await LoopbackHost.StartAsync("Attackers", agentSettings, options.Verbose, (services, configuration) =>
            {
                services.AddGrpc(o => o.MaxReceiveMessageSize = 256 * 1024 * 1024);
                services.AddAgent(configuration);
                services.AddInjector(configuration);
            }, app =>
            {
                app.MapAgent();
                app.MapInjector();
            }, ct).ConfigureAwait(false);
            started.Add(attackers);
            return new EmbeddedServices(started, platform, simulator, estimator, attackers);
        }
        catch
        {
            await StopAsync(started).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task StopAsync(List<IAsyncDisposable> started)
    {
        for (int i = started.Count - 1; i >= 0; i--) await started[i].DisposeAsync().ConfigureAwait(false);
        started.Clear();
    }

    public ValueTask DisposeAsync() => new(StopAsync(_started));
}
