using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using PoisonRange.Testing;
using Xunit;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace PoisonRange.Injector.Tests;

/// <summary>The standalone injector's service defaults: ready only while its platform and its store answer.</summary>
public sealed class InjectorHealthTests
{
    private static WebApplicationFactory<Program> Injector(Uri platform) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Platform:Address", platform.ToString());
            b.UseSetting("Platform:AttackerKey", "attacker-key");
            b.UseSetting("Store:Kind", "InMemory");
        });

    [Fact]
    public async Task Injector_serves_only_while_its_platform_answers()
    {
        await using var platform = new LoopbackHealthServer();
        await using var factory = Injector(platform.Address);
        using var channel = GrpcChannel.ForAddress(factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = factory.Server.CreateHandler() });
        using var http = factory.CreateClient();

        Assert.Equal(ServingStatus.NotServing, await LoopbackHealthServer.StatusAsync(channel));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);

        await platform.StartAsync();
        await LoopbackHealthServer.WaitForStatusAsync(channel, ServingStatus.Serving, TimeSpan.FromSeconds(30));
        var services = await ReflectionServices.ListAsync(channel);
        Assert.Contains("poisonrange.attacker.v1.Injector", services);
    }
}
