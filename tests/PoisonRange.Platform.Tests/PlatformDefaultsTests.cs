using System.Net;
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
        foreach (var (address, own, other) in new[]
        {
            (harness.Running.PlatformAddress, "poisonrange.platform.v1.Platform", "poisonrange.platform.v1.Referee"),
            (harness.Running.RefereeAddress, "poisonrange.platform.v1.Referee", "poisonrange.platform.v1.Platform"),
        })
        {
            using var channel = GrpcChannel.ForAddress(address);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await LoopbackHealthServer.StatusAsync(channel));
            using var http = new HttpClient { BaseAddress = address, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
            var services = await ReflectionServices.ListAsync(channel);
            Assert.Contains(own, services);
            Assert.DoesNotContain(other, services);
        }
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
