using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using PoisonRange.Client.Profiles;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Testing.Fakes;
using Xunit;
using AgentClient = PoisonRange.Contracts.Attacker.V1.Agent.AgentClient;

namespace PoisonRange.Agent.Tests;

/// <summary>The standalone agent host, driven over gRPC, crawling the fake platform.</summary>
public sealed class AgentServiceTests : IAsyncLifetime
{
    private FakePlatformHost _platform = null!;
    private WebApplicationFactory<AgentService> _factory = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _platform = await FakePlatformHost.StartAsync(new FakePlatformState().WithCatalogue(40, users: 30, historyLength: 6));
        _factory = new WebApplicationFactory<AgentService>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Platform:Address", _platform.Address);
            b.UseSetting("Platform:AttackerKey", "attacker-key");
            b.UseSetting("Platform:RateLimitPerSecond", "0");
            b.UseSetting("Agent:CrawlPageSize", "7");
        });
        _channel = GrpcChannel.ForAddress(_factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _factory.Server.CreateHandler() });
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _factory.DisposeAsync();
        await _platform.DisposeAsync();
    }

    private static GenerateRequest Request(string strategy, params (string Key, string Value)[] parameters)
    {
        var r = new GenerateRequest { Strategy = strategy, FakeUsers = 6, ActionsPerUser = 8, Seed = 3 };
        r.TargetItems.Add(["i035", "i036"]);
        r.TargetUsers.Add(["u001", "u002", "u999"]);
        foreach (var (k, v) in parameters) r.Parameters[k] = v;
        return r;
    }

    private static async Task<(List<GenerateUpdate> Progress, GenerateResult Result)> Generate(AgentClient client, GenerateRequest request)
    {
        var updates = new List<GenerateUpdate>();
        using var call = client.Generate(request, deadline: DateTime.UtcNow.AddSeconds(30));
        await foreach (var u in call.ResponseStream.ReadAllAsync()) updates.Add(u);
        Assert.Equal(GenerateUpdate.UpdateOneofCase.Result, updates[^1].UpdateCase);
        return (updates[..^1], updates[^1].Result);
    }

    [Fact]
    public async Task Strategies_are_listed()
    {
        var reply = await new AgentClient(_channel).ListStrategiesAsync(new ListStrategiesRequest());
        Assert.Equal(["none", "random", "popular", "bandwagon", "covisit", "randfilter", "loki"], reply.Strategies.Select(s => s.Name));
        Assert.All(reply.Strategies, s => Assert.False(string.IsNullOrWhiteSpace(s.Description)));
    }

    [Fact]
    public async Task Generate_crawls_once_then_reuses_the_view()
    {
        var client = new AgentClient(_channel);
        var (progress, result) = await Generate(client, Request("covisit"));

        Assert.Equal("covisit", result.Strategy);
        Assert.Equal(6, result.Profiles.Count);
        Assert.Equal(5, result.CrawlPages); // 30 users, 7 per page
        Assert.Equal(0, result.PlatformQueries);
        Assert.Contains(progress, u => u.Progress.Phase == "crawl");
        Assert.Contains(progress, u => u.Progress.Message.Contains("u999"));
        var catalogue = _platform.State.Catalogue.ToHashSet();
        var served = _platform.State.PublicHistories.Where(h => h.UserId is "u001" or "u002").SelectMany(h => h.Interactions).Select(x => x.ItemId).ToHashSet();
        foreach (var p in result.Profiles)
        {
            Assert.InRange(p.Interactions.Count, 1, 8);
            Assert.All(p.Interactions, x => Assert.Contains(x.ItemId, catalogue));
            Assert.Contains(p.Interactions, x => x.ItemId is "i035" or "i036");
            Assert.Contains(p.Interactions, x => served.Contains(x.ItemId));
        }

        var (_, cached) = await Generate(client, Request("random"));
        Assert.Equal(0, cached.CrawlPages);
        var (_, refreshed) = await Generate(client, Request("random", ("refresh_view", "true")));
        Assert.Equal(5, refreshed.CrawlPages);
        Assert.Equal(10, _platform.State.CrawlPagesServed);
        Assert.Equal(cached.Profiles, refreshed.Profiles); // same view, same seed

        // The result round-trips through a profiles file.
        var path = Path.Combine(Path.GetTempPath(), $"agent-{Guid.NewGuid():N}.jsonl");
        try
        {
            FakeProfileFile.Write(path, result.Profiles, AgentRunner.MetadataFor(Request("covisit"), DateTimeOffset.UtcNow));
            var doc = FakeProfileFile.Read(path);
            Assert.Equal(result.Profiles, doc.Profiles);
            Assert.Equal(["i035", "i036"], doc.Metadata.TargetItems);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Bad_requests_map_to_status_codes()
    {
        var client = new AgentClient(_channel);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Generate(client, Request("no-such-strategy")));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);

        var request = Request("random");
        request.TargetItems.Add("not-an-item");
        var badItem = await Assert.ThrowsAsync<RpcException>(() => Generate(client, request));
        Assert.Equal(StatusCode.InvalidArgument, badItem.StatusCode);
        Assert.Contains("not-an-item", badItem.Status.Detail);

        var zero = Request("random");
        zero.ActionsPerUser = 0;
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => Generate(client, zero))).StatusCode);
    }
}
