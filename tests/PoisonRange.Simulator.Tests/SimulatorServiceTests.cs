using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Recommenders;
using Xunit;
using ProtoSpec = PoisonRange.Contracts.Attacker.V1.LocalModelSpec;
using SimulatorClient = PoisonRange.Contracts.Attacker.V1.Simulator.SimulatorClient;

namespace PoisonRange.Simulator.Tests;

/// <summary>The Simulator gRPC service over loopback, against a loopback platform.</summary>
public sealed class SimulatorServiceTests(LoopbackPlatform platform) : IClassFixture<LoopbackPlatform>
{
    private static async Task<(WebApplication App, GrpcChannel Channel, string Address)> StartSimulatorAsync(LoopbackPlatform platform)
    {
        // The host's own wiring (its Program.cs), with logging left out.
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:Address"] = platform.Running.PlatformAddress.ToString(),
            ["Platform:AttackerKey"] = LoopbackPlatform.AttackerKey,
            ["Platform:RateLimitPerSecond"] = "0",
            ["Simulator:K"] = "10",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(e => e.Protocols = HttpProtocols.Http2));
        builder.AddServiceDefaults();
        builder.AddSimulatorService();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapSimulator();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 }), address);
    }

    [Fact]
    public async Task Build_rank_export_and_retrain_round_trip_to_identical_scores()
    {
        await platform.ConfigureAsync("bprmf", hyper: SimulatorBuilderTests.Bpr);
        var (app, channel, address) = await StartSimulatorAsync(platform);
        await using var _ = app;
        using var __ = channel;
        var client = new SimulatorClient(channel);

        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Equal(0, await SimulatorHealthProbe.RunAsync(address, TextWriter.Null));
        // Nothing listens on a port just released: the probe says not serving (the platform's ports answer health too).
        Assert.Equal(1, await SimulatorHealthProbe.RunAsync($"http://127.0.0.1:{ClosedPort()}", TextWriter.Null));
        var before = await Assert.ThrowsAsync<RpcException>(async () => await client.RankAsync(new RankRequest { K = 5 }));
        Assert.Equal(StatusCode.FailedPrecondition, before.StatusCode);

        var request = new BuildRequest { ProbeQueries = 20, ProbeHistoryLength = 10, Seed = 3 };
        request.Models.Add(Spec("bprmf", SimulatorBuilderTests.Bpr));
        request.Models.Add(Spec("fpmc", SimulatorBuilderTests.Fpmc));
        request.Models.Add(Spec("poprec", null));
        var phases = new List<string>();
        BuildResult? result = null;
        using (var build = client.Build(request))
        {
            await foreach (var update in build.ResponseStream.ReadAllAsync())
            {
                if (update.UpdateCase == BuildUpdate.UpdateOneofCase.Progress) phases.Add(update.Progress.Phase);
                else result = update.Result;
            }
        }
        Assert.NotNull(result);
        Assert.Equal(["crawl", "train", "probe", "fit"], phases.Distinct());
        Assert.Equal(20, result.Queries);
        Assert.Equal(3, result.Models.Count);
        Assert.Equal(1.0, result.Models.Sum(m => m.Weight), 9);
        Assert.Equal("bprmf", result.BestSingleKind);
        Assert.False(result.UniformWeights);

        var weights = await client.GetWeightsAsync(new GetWeightsRequest());
        Assert.Equal(result.Models, weights.Models);

        var history = new[] { "i3", "i7", "i12", "i40" };
        var rankRequest = new RankRequest { K = 10 };
        rankRequest.History.AddRange(history);
        var ranked = await client.RankAsync(rankRequest);
        Assert.Equal(10, ranked.ItemIds.Count);
        Assert.Empty(ranked.ItemIds.Intersect(history));
        Assert.Equal(3, ranked.Models.Count);

        var exported = await SimulatorWire.ReadExportAsync(client.ExportModels(new ExportModelsRequest { ChunkSize = 4096 }).ResponseStream.ReadAllAsync());
        Assert.Equal(["bprmf", "fpmc", "poprec"], exported.Models.Select(m => m.Kind));
        Assert.Equal(result.Models.Select(m => m.Weight), exported.Models.Select(m => m.Weight));
        Assert.Equal(result.TrainInteractions, exported.Train.InteractionCount);
        Assert.Equal(result.TrainUsers, exported.Train.UserCount);
        var internalHistory = history.Select(id => exported.Train.TryGetItem(id, out var i) ? i : throw new KeyNotFoundException(id)).ToArray();
        var lists = new List<int[]>();
        for (int m = 0; m < exported.Models.Count; m++)
        {
            using var model = RecommenderFactory.Load(new MemoryStream(exported.Models[m].Checkpoint));
            var top = new int[10];
            model.RecommendHistory(internalHistory, true, top);
            Assert.Equal(ranked.Models[m].ItemIds, top.Select(i => exported.Train.ItemIds[i]));
            var depth = new int[exported.VoteDepth];
            lists.Add(depth[..model.RecommendHistory(internalHistory, true, depth)]);
        }
        // The loaded checkpoints and weights reproduce the service's ensemble ranking exactly.
        var vote = EnsembleVote.TopK(lists, exported.Models.Select(m => m.Weight).ToArray(), exported.VoteDepth, 10);
        Assert.Equal(ranked.ItemIds, vote.Select(i => exported.Train.ItemIds[i]));

        var retrain = new RetrainModelRequest { Kind = "poprec" };
        for (int f = 0; f < 100; f++) retrain.FakeProfiles.Add(new FakeSequence { ItemIds = { "i119", "i3" } });
        var retrained = await SimulatorWire.ReadExportAsync(WithTrainingSet(client.Retrain(retrain).ResponseStream.ReadAllAsync()));
        using (var poisoned = RecommenderFactory.Load(new MemoryStream(retrained.Models.Single().Checkpoint)))
        {
            var top = new int[2];
            poisoned.RecommendHistory([], false, top);
            Assert.Equal(["i119", "i3"], top.Select(i => exported.Train.ItemIds[i]).Order());
        }

        var unknown = new RankRequest { K = 5 };
        unknown.History.Add("no-such-item");
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(async () => await client.RankAsync(unknown))).StatusCode);
        var badKind = new RetrainModelRequest { Kind = "gru4rec" };
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.Retrain(badKind);
            await call.ResponseStream.MoveNext();
        })).StatusCode);
        var unknownItem = new RetrainModelRequest { Kind = "poprec", FakeProfiles = { new FakeSequence { ItemIds = { "i3", "no-such-item" } } } };
        var unknownEx = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.Retrain(unknownItem);
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.NotFound, unknownEx.StatusCode);
        Assert.StartsWith("Fake profile 0:", unknownEx.Status.Detail);
        var emptyProfile = new RetrainModelRequest { Kind = "poprec", FakeProfiles = { new FakeSequence() } };
        var emptyEx = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.Retrain(emptyProfile);
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.InvalidArgument, emptyEx.StatusCode);
        Assert.Equal("Fake profile 0 is empty.", emptyEx.Status.Detail);
        var badBuild = new BuildRequest { ProbeQueries = -3 };
        var badEx = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.Build(badBuild);
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.InvalidArgument, badEx.StatusCode);
        Assert.DoesNotContain("\n", badEx.Status.Detail);
    }

    private static ProtoSpec Spec(string kind, IDictionary<string, string>? hyper)
    {
        var spec = new ProtoSpec { Kind = kind };
        if (hyper is not null) spec.HyperParameters.Add(hyper);
        return spec;
    }

    /// <summary>A retrain stream holds only the model; add an empty training set so that the reader accepts it.</summary>
    private static async IAsyncEnumerable<ExportChunk> WithTrainingSet(IAsyncEnumerable<ExportChunk> chunks)
    {
        await foreach (var c in chunks) yield return c;
        yield return new ExportChunk { TrainingSet = new TrainingSetHeader { Name = "none", Users = 0 } };
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
