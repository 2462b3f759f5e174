using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using PoisonRange.Testing;
using Xunit;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace PoisonRange.Agent.Tests;

/// <summary>The standalone agent's service defaults: ready only while its platform answers.</summary>
public sealed class AgentHealthTests
{
    private static WebApplicationFactory<AgentService> Agent(Uri platform) =>
        new WebApplicationFactory<AgentService>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Platform:Address", platform.ToString());
            b.UseSetting("Platform:AttackerKey", "attacker-key");
        });

    [Fact]
    public async Task Agent_is_not_serving_while_its_platform_is_down_and_serving_again_when_it_is_back()
    {
        await using var platform = new LoopbackHealthServer();
        await platform.StartAsync();
        await using var factory = Agent(platform.Address);
        using var channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        using var http = factory.CreateClient();

        await LoopbackHealthServer.WaitForStatusAsync(channel, ServingStatus.Serving, TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);

        await platform.StopAsync();
        await LoopbackHealthServer.WaitForStatusAsync(channel, ServingStatus.NotServing, TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);

        await platform.StartAsync();
        await LoopbackHealthServer.WaitForStatusAsync(channel, ServingStatus.Serving, TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Reflection_lists_the_agent_service()
    {
        await using var factory = Agent(new Uri("http://127.0.0.1:1"));
        using var channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        var services = await ReflectionServices.ListAsync(channel);
        Assert.Contains("poisonrange.attacker.v1.Agent", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
