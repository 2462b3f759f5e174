using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Testing.Fakes;
using Xunit;
using InjectorClient = PoisonRange.Contracts.Attacker.V1.Injector.InjectorClient;

namespace PoisonRange.Injector.Tests;

/// <summary>The standalone injector host, driven over gRPC, against the fake platform.</summary>
public sealed class InjectorServiceTests : IAsyncLifetime
{
    private FakePlatformHost _platform = null!;
    private WebApplicationFactory<Program> _factory = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _platform = await FakePlatformHost.StartAsync(new FakePlatformState { ActionsPerAccount = 6 }.WithCatalogue(30));
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Platform:Address", _platform.Address);
            b.UseSetting("Platform:AttackerKey", "attacker-key");
            b.UseSetting("Platform:RateLimitPerSecond", "0");
            b.UseSetting("Store:Kind", "InMemory");
            b.UseSetting("Injector:MaxConcurrentProfiles", "2");
        });
        _channel = GrpcChannel.ForAddress(_factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _factory.Server.CreateHandler() });
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _factory.DisposeAsync();
        await _platform.DisposeAsync();
    }

    private static InjectRequest Request(string jobId, int profiles)
    {
        var request = new InjectRequest { JobId = jobId, BatchSize = 4 };
        for (int p = 0; p < profiles; p++)
        {
            var profile = new FakeProfile { ProfileId = "p" + p };
            for (int j = 0; j < 6; j++)
                profile.Interactions.Add(new Interaction { ItemId = "i" + ((p + j * 3) % 30).ToString("D3", CultureInfo.InvariantCulture), TimestampMs = 10 + j });
            request.Profiles.Add(profile);
        }
        return request;
    }

    [Fact]
    public async Task Inject_streams_progress_then_the_result_and_GetJob_returns_it()
    {
        var client = new InjectorClient(_channel);
        var updates = new List<InjectUpdate>();
        using (var call = client.Inject(Request("svc-job", 5), deadline: DateTime.UtcNow.AddSeconds(30)))
            await foreach (var u in call.ResponseStream.ReadAllAsync()) updates.Add(u);

        Assert.True(updates.Count > 2);
        Assert.All(updates[..^1], u => Assert.Equal(InjectUpdate.UpdateOneofCase.Progress, u.UpdateCase));
        var result = updates[^1].Result;
        Assert.Equal("completed", result.State);
        Assert.Equal(5, result.ProfilesCompleted);
        Assert.Equal(5, result.AccountsRegistered);
        Assert.Equal(30, result.InteractionsRecorded);
        Assert.Equal(5, _platform.State.Accounts.Count);
        Assert.Equal(10, _platform.State.Calls("Record"));

        var stored = await client.GetJobAsync(new GetJobRequest { JobId = "svc-job" });
        Assert.Equal(result, stored);
    }

    [Fact]
    public async Task Errors_map_to_status_codes()
    {
        var client = new InjectorClient(_channel);
        var missing = await Assert.ThrowsAsync<RpcException>(() => client.GetJobAsync(new GetJobRequest { JobId = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        var resume = await Assert.ThrowsAsync<RpcException>(() => Drain(client.Inject(new InjectRequest { JobId = "never-started" })));
        Assert.Equal(StatusCode.NotFound, resume.StatusCode);

        var bad = await Assert.ThrowsAsync<RpcException>(() => Drain(client.Inject(new InjectRequest { JobId = "" })));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);

        await Drain(client.Inject(Request("svc-conflict", 1)));
        var conflict = await Assert.ThrowsAsync<RpcException>(() => Drain(client.Inject(Request("svc-conflict", 2))));
        Assert.Equal(StatusCode.FailedPrecondition, conflict.StatusCode);
    }

    private static async Task Drain(AsyncServerStreamingCall<InjectUpdate> call)
    {
        using (call)
            await foreach (var _ in call.ResponseStream.ReadAllAsync()) { }
    }
}
