using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Mvc.Testing;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Data;
using PoisonRange.Recommenders;
using Pair = PoisonRange.Recommenders.Influence.TargetPair;

namespace PoisonRange.Estimator.Tests;

public sealed class EstimatorServiceTests : IAsyncLifetime
{
    private WebApplicationFactory<Program> _factory = null!;
    private GrpcChannel _channel = null!;
    private Contracts.Attacker.V1.Estimator.EstimatorClient _client = null!;

    public Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<Program>();
        _channel = GrpcChannel.ForAddress(_factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _factory.Server.CreateHandler() });
        _client = new Contracts.Attacker.V1.Estimator.EstimatorClient(_channel);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _factory.DisposeAsync();
    }

    private static async Task Upload(Contracts.Attacker.V1.Estimator.EstimatorClient client, InteractionDataset train, params (IRecommender Model, double Weight)[] models)
    {
        using var call = client.LoadModels(deadline: DateTime.UtcNow.AddMinutes(2));
        var set = new TrainingSet { ItemCount = train.ItemCount };
        foreach (var sequence in train.Sequences) set.Sequences.Add(new Sequence { Items = { sequence } });
        await call.RequestStream.WriteAsync(new LoadModelsChunk { Train = set });
        foreach (var (model, weight) in models)
        {
            using var stream = new MemoryStream();
            model.Save(stream);
            var bytes = stream.ToArray();
            await call.RequestStream.WriteAsync(new LoadModelsChunk { Model = new ModelHeader { Kind = model.Kind, Weight = weight, CheckpointSize = bytes.Length } });
            for (int offset = 0; offset < bytes.Length; offset += 1000) // several chunks
                await call.RequestStream.WriteAsync(new LoadModelsChunk { CheckpointData = ByteString.CopyFrom(bytes, offset, Math.Min(1000, bytes.Length - offset)) });
        }
        await call.RequestStream.CompleteAsync();
        var reply = await call;
        Assert.Equal(models.Length, reply.Models.Count);
    }

    [Fact]
    public async Task Round_trip_matches_the_in_process_estimator()
    {
        var train = TinyModels.Data();
        using var bpr = TinyModels.Bpr(train);
        using var gru = TinyModels.Gru(train);
        var failed = await Assert.ThrowsAsync<RpcException>(async () => await _client.ScoreProfilesAsync(new ScoreProfilesRequest()));
        Assert.Equal(StatusCode.FailedPrecondition, failed.StatusCode);

        await Upload(_client, train, (bpr, 0.4), (gru, 0.6));
        var request = new BuildCacheRequest
        {
            Targets = { new TargetPair { User = 0, Item = 3 }, new TargetPair { User = 5, Item = 3 } },
            Options = new LissaSettings { Damping = 0.5, Scale = 50, Depth = 100, BatchSize = 0 },
        };
        BuildCacheStats? stats = null;
        int progress = 0;
        using (var call = _client.BuildCache(request, deadline: DateTime.UtcNow.AddMinutes(2)))
            await foreach (var update in call.ResponseStream.ReadAllAsync())
            {
                if (update.UpdateCase == BuildCacheUpdate.UpdateOneofCase.Progress) progress++;
                else stats = update.Stats;
            }
        Assert.NotNull(stats);
        Assert.Equal(2, stats.Models.Count);
        Assert.True(progress > 0);

        int[][] profiles = [[3, 4, 5], [1, 2], [3, 3]];
        var scoreRequest = new ScoreProfilesRequest();
        foreach (var p in profiles) scoreRequest.Profiles.Add(new Profile { Items = { p } });
        var remote = (await _client.ScoreProfilesAsync(scoreRequest)).Scores.ToArray();

        using var local = new InfluenceEstimator([new LocalModel("bprmf", bpr, 0.4), new LocalModel("gru4rec", gru, 0.6)], train,
            [new Pair(0, 3), new Pair(5, 3)], new LissaOptions { Damping = 0.5, Scale = 50, Depth = 100, BatchSize = 0 });
        await local.BuildCacheAsync();
        var expected = local.ScoreProfiles(profiles);
        for (int k = 0; k < profiles.Length; k++) Assert.Equal(expected[k], remote[k], 1e-9);

        var influence = await _client.UserRemovalInfluenceAsync(new UserRemovalInfluenceRequest { User = 0, TargetItem = 3 });
        Assert.Equal(local.UserRemovalInfluence(0, 3), influence.Influence, 1e-9);

        var badItem = await Assert.ThrowsAsync<RpcException>(async () => await _client.ScoreProfilesAsync(new ScoreProfilesRequest { Profiles = { new Profile { Items = { 999 } } } }));
        Assert.Equal(StatusCode.InvalidArgument, badItem.StatusCode);
        Assert.DoesNotContain("\n", badItem.Status.Detail);
        var badOptions = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = _client.BuildCache(new BuildCacheRequest { Targets = { new TargetPair { User = 0, Item = 3 } }, Options = new LissaSettings { Depth = 0 } });
            await foreach (var _ in call.ResponseStream.ReadAllAsync()) { }
        });
        Assert.Equal(StatusCode.InvalidArgument, badOptions.StatusCode);
        Assert.StartsWith("LissaOptions.Depth must be", badOptions.Status.Detail);
    }

    [Fact]
    public async Task Bad_uploads_are_rejected_with_invalid_argument()
    {
        var train = TinyModels.Data();
        using var pop = RecommenderFactory.Create("poprec", null, 0);
        pop.Fit(train);
        var unsupported = await Assert.ThrowsAsync<RpcException>(() => Upload(_client, train, (pop, 1.0)));
        Assert.Equal(StatusCode.InvalidArgument, unsupported.StatusCode);
        Assert.Contains("no influence view", unsupported.Status.Detail);

        using var call = _client.LoadModels();
        await call.RequestStream.WriteAsync(new LoadModelsChunk { Model = new ModelHeader { Kind = "bprmf", Weight = 1, CheckpointSize = 10 } });
        await call.RequestStream.WriteAsync(new LoadModelsChunk { CheckpointData = ByteString.CopyFrom(new byte[4]) });
        await call.RequestStream.CompleteAsync();
        var truncated = await Assert.ThrowsAsync<RpcException>(async () => await call);
        Assert.Equal(StatusCode.InvalidArgument, truncated.StatusCode);
    }
}
