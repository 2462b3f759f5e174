using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using PoisonRange.Agent.Loki;
using PoisonRange.Client;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Data;
using PoisonRange.Estimator;
using PoisonRange.Range.Embedded;
using PoisonRange.Simulator;
using PoisonRange.Simulator.Tests;
using Xunit;

namespace PoisonRange.Agent.Tests.Loki;

/// <summary>
/// A platform, a simulator host and an estimator host on loopback ports, as in embedded mode:
/// the LOKI pipeline reaches the two services only through their gRPC clients.
/// </summary>
public sealed class LoopbackLokiServices : IAsyncLifetime
{
    private readonly LoopbackPlatform _platform = new();

    public LoopbackHost Simulator { get; private set; } = null!;
    public LoopbackHost Estimator { get; private set; } = null!;
    public LoopbackPlatform Platform => _platform;

    public async Task InitializeAsync()
    {
        await _platform.InitializeAsync();
        await _platform.ConfigureAsync("bprmf", hyper: new Dictionary<string, string> { ["epochs"] = "3" });
        Simulator = await LoopbackHost.StartAsync("Simulator", new Dictionary<string, string?>
        {
            ["Platform:Address"] = _platform.Running.PlatformAddress.ToString(),
            ["Platform:AttackerKey"] = LoopbackPlatform.AttackerKey,
            ["Platform:RateLimitPerSecond"] = "0",
        }, false, (s, c) => s.AddSimulator(c), app => app.MapSimulator(), CancellationToken.None);
        Estimator = await LoopbackHost.StartAsync("Estimator", new Dictionary<string, string?>(), false,
            (s, c) => s.AddEstimator(c), app => app.MapEstimator(), CancellationToken.None);
    }

    public LokiServices Services() => new(
        new AttackerServiceOptions { Address = Simulator.Address.ToString() },
        new AttackerServiceOptions { Address = Estimator.Address.ToString() });

    /// <summary>The attacker's view, crawled through the public client as the agent does.</summary>
    public async Task<InteractionDataset> CrawlViewAsync()
    {
        using var client = _platform.NewClient();
        using var provider = new AttackerViewProvider(client, new AgentOptions());
        return (await provider.GetAsync(refresh: true, null, CancellationToken.None)).Dataset;
    }

    public async Task DisposeAsync()
    {
        if (Estimator is not null) await Estimator.DisposeAsync();
        if (Simulator is not null) await Simulator.DisposeAsync();
        await _platform.DisposeAsync();
    }
}

public sealed class LokiPipelineLoopbackTests(LoopbackLokiServices services) : IClassFixture<LoopbackLokiServices>
{
    private static AttackContext Context(InteractionDataset view, Dictionary<string, string>? parameters = null, IProgress<AttackProgress>? progress = null) => new()
    {
        View = view,
        TargetItems = [view.ItemCount - 1, view.ItemCount - 2],
        FakeUsers = 4,
        ActionsPerUser = 6,
        Seed = 7,
        Progress = progress,
        Parameters = parameters ?? new()
        {
            // poprec has no influence view: it is weighted by the simulator but left out of the reward.
            ["loki_local_models"] = "bprmf,poprec",
            ["loki_probe_queries"] = "6",
            ["loki_lissa_depth"] = "5",
            ["loki_episodes"] = "8",
            ["loki_episodes_per_round"] = "4",
            ["loki_updates_per_round"] = "2",
            ["loki_groups"] = "4",
            ["loki_nmf_rank"] = "4",
        },
    };

    [Fact]
    public async Task Loki_builds_the_simulator_loads_the_estimator_and_scores_rewards_through_grpc()
    {
        var view = await services.CrawlViewAsync();
        var phases = new List<string>();
        var ctx = Context(view, progress: new SyncProgress<AttackProgress>(p => { lock (phases) phases.Add(p.Phase); }));
        using var lokiServices = services.Services();
        var profiles = await new LokiPipelineStrategy(lokiServices).GenerateAsync(ctx, CancellationToken.None);

        Assert.Equal(4, profiles.Count);
        ProfileValidator.Check("loki", ctx, profiles);
        Assert.Equal(["simulator", "estimator", "groups", "train", "generate"], ctx.Notes.PhaseSeconds.Select(p => p.Key));
        Assert.Contains("simulator", phases);
        Assert.Contains(ctx.Notes.Remarks, r => r.StartsWith("loki simulator: bprmf", StringComparison.Ordinal) && r.Contains("6 queries", StringComparison.Ordinal));
        Assert.Contains(ctx.Notes.Remarks, r => r.Contains("poprec (weight", StringComparison.Ordinal) && r.Contains("bprmf 1.000", StringComparison.Ordinal));
        // The simulator's probes and crawl pages count as the attack's platform spend.
        Assert.Equal(6, ctx.Notes.DelegatedQueries);
        Assert.True(ctx.Notes.DelegatedCrawlPages > 0);
        var rewardNote = Assert.Single(ctx.Notes.Remarks, r => r.StartsWith("loki reward:", StringComparison.Ordinal));
        Assert.DoesNotContain(" 0 ScoreProfiles calls", rewardNote);

        // The services hold the work: the simulator its ensemble, the estimator the one differentiable model.
        using var simulatorChannel = GrpcChannel.ForAddress(services.Simulator.Address);
        var weights = await new Contracts.Attacker.V1.Simulator.SimulatorClient(simulatorChannel).GetWeightsAsync(new GetWeightsRequest());
        Assert.Equal(["bprmf", "poprec"], weights.Models.Select(m => m.Kind));
        Assert.Equal(6, weights.Queries);
        using var estimatorChannel = GrpcChannel.ForAddress(services.Estimator.Address);
        var estimator = new Contracts.Attacker.V1.Estimator.EstimatorClient(estimatorChannel);
        var reply = await estimator.ScoreProfilesAsync(new ScoreProfilesRequest { Profiles = { new Profile { Items = { 0, 1, 2 } } } });
        Assert.True(double.IsFinite(Assert.Single(reply.Scores)));

        // The reward the agent saw equals the estimator's answer for the same profile in training-set indices.
        using var export = new Contracts.Attacker.V1.Simulator.SimulatorClient(simulatorChannel).ExportModels(new ExportModelsRequest());
        var exported = await SimulatorWire.ReadExportAsync(export.ResponseStream.ReadAllAsync());
        var join = new TrainingSetMap(exported.Train.ItemIds, exported.Train.UserIds).Join(view);
        var reward = new EstimatorProfileReward(lokiServices, join.ViewToTrainingItem);
        var viewProfile = new[] { view.ItemCount - 1, 0, 3 };
        var viaReward = await reward.ScoreProfilesAsync([viewProfile], CancellationToken.None);
        var direct = await estimator.ScoreProfilesAsync(new ScoreProfilesRequest { Profiles = { new Profile { Items = { viewProfile.Select(i => join.ViewToTrainingItem[i]) } } } });
        Assert.Equal(direct.Scores[0], viaReward[0]);
        Assert.Equal(1, reward.Calls);
    }

    [Fact]
    public async Task Bad_parameters_come_back_as_one_line_argument_errors_from_the_services()
    {
        var view = await services.CrawlViewAsync();
        using var lokiServices = services.Services();
        var parameters = new Dictionary<string, string> { ["loki_local_models"] = "bprmf", ["loki_model_epochs"] = "1", ["loki_probe_queries"] = "0", ["loki_lissa_depth"] = "0" };
        var error = await Assert.ThrowsAsync<ArgumentException>(() => new LokiPipelineStrategy(lokiServices).GenerateAsync(Context(view, parameters), CancellationToken.None));
        Assert.StartsWith("LOKI estimator: ", error.Message);
        Assert.Contains("epth", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task An_unreachable_simulator_is_a_one_line_unavailable_error_naming_its_address()
    {
        var view = await services.CrawlViewAsync();
        var address = $"http://127.0.0.1:{ClosedPort()}";
        using var lokiServices = new LokiServices(new AttackerServiceOptions { Address = address }, new AttackerServiceOptions { Address = services.Estimator.Address.ToString() });
        var error = await Assert.ThrowsAsync<AttackerServiceException>(() => new LokiPipelineStrategy(lokiServices).GenerateAsync(Context(view), CancellationToken.None));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith($"The simulator at {address}", error.Message);
        Assert.Contains("is unreachable", error.Message);
        Assert.Contains("Simulator:Address", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_missing_estimator_address_names_the_setting()
    {
        var view = await services.CrawlViewAsync();
        using var lokiServices = new LokiServices(new AttackerServiceOptions { Address = services.Simulator.Address.ToString() }, new AttackerServiceOptions());
        var error = await Assert.ThrowsAsync<AttackerServiceException>(() => new LokiPipelineStrategy(lokiServices).GenerateAsync(Context(view), CancellationToken.None));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("set Estimator:Address", error.Message);
    }

    [Fact]
    public void The_view_joins_the_training_set_on_platform_ids_whatever_their_order()
    {
        var view = new InteractionDataset("view", ["u1", "u2", "u3"], ["a", "b", "c", "d"], [[0, 1], [2], [3, 0]], null, null);
        var join = new TrainingSetMap(["d", "a", "c"], ["u3", "u1"]).Join(view);
        Assert.Equal([1, -1, 2, 0], join.ViewToTrainingItem);
        Assert.Equal([1, -1, 0], join.ViewToTrainingUser);
        Assert.Equal(1, join.MissingItems);
        Assert.Equal(1, join.MissingUsers);
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
