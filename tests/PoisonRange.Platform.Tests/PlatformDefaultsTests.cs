using System.Net;
using Microsoft.Extensions.Configuration;
using Grpc.Health.V1;
using Grpc.Net.Client;
using PoisonRange.Testing;
using Xunit;

namespace PoisonRange.Platform.Tests;

/// <summary>
/// The service defaults on both of the platform's ports, and the boundary they must keep:
/// reflection on the attackers' port never names the Referee API.
/// </summary>
public sealed class PlatformDefaultsTests
{
    [Fact]
    public async Task Both_ports_answer_health_and_reflection_lists_only_their_own_api()
    {
        await using var harness = await PlatformHarness.StartAsync();
        await harness.Referee.ConfigureAsync(PlatformHarness.SmallScenario());
        foreach (var (address, own, other) in new[]
        {
            (harness.Running.PlatformAddress, "poisonrange.platform.v1.Platform", "poisonrange.platform.v1.Referee"),
            (harness.Running.RefereeAddress, "poisonrange.platform.v1.Referee", "poisonrange.platform.v1.Platform"),
        })
        {
            using var channel = GrpcChannel.ForAddress(address);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await LoopbackHealthServer.StatusAsync(channel));
            using var http = Http(address);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
            var services = await ReflectionServices.ListAsync(channel);
            Assert.Contains(own, services);
            Assert.DoesNotContain(other, services);
        }
    }

    [Fact]
    public async Task The_platform_api_is_ready_only_once_a_model_serves_the_referee_api_at_once()
    {
        await using var harness = await PlatformHarness.StartAsync();
        using var platform = GrpcChannel.ForAddress(harness.Running.PlatformAddress);
        using var referee = GrpcChannel.ForAddress(harness.Running.RefereeAddress);
        using var platformHttp = Http(harness.Running.PlatformAddress);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await LoopbackHealthServer.StatusAsync(platform));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await platformHttp.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await platformHttp.GetAsync("/alive")).StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await LoopbackHealthServer.StatusAsync(referee));

        await harness.Referee.ConfigureAsync(PlatformHarness.SmallScenario());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await LoopbackHealthServer.StatusAsync(platform));
        Assert.Equal(HttpStatusCode.OK, (await platformHttp.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Standalone_settings_keep_each_api_on_its_own_port()
    {
        int platformPort = FreePort(), refereePort = FreePort();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Platform:OperatorToken"] = PlatformHarness.OperatorToken,
                ["Platform:Url"] = $"http://127.0.0.1:{platformPort}",
                ["Referee:Url"] = $"http://127.0.0.1:{refereePort}",
            })
            .Build();
        await using var running = await PlatformHost.StartAsync(PlatformHostOptions.FromConfiguration(configuration));
        Assert.Equal(platformPort, running.PlatformAddress.Port);
        Assert.Equal(refereePort, running.RefereeAddress.Port);
        using var channel = GrpcChannel.ForAddress(running.PlatformAddress);
        Assert.Contains("poisonrange.platform.v1.Platform", await ReflectionServices.ListAsync(channel));
        using var refereeChannel = GrpcChannel.ForAddress(running.RefereeAddress);
        Assert.Contains("poisonrange.platform.v1.Referee", await ReflectionServices.ListAsync(refereeChannel));
    }

    private static HttpClient Http(Uri address) =>
        new() { BaseAddress = address, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Standalone_platform_without_an_operator_token_exits_2_with_one_line()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await PlatformHost.RunAsync(["--Platform:OperatorToken=", "--Platform:Url=http://127.0.0.1:0", "--Referee:Url=http://127.0.0.1:0"], output, error);
        Assert.Equal(PlatformHost.ExitBadInput, code);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("platform: An operator token is required (Platform:OperatorToken).", line);
        Assert.Empty(output.ToString());
    }
}
