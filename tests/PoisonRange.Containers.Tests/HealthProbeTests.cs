using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.HealthProbe;
using PoisonRange.Platform;
using Xunit;

namespace PoisonRange.Containers.Tests;

/// <summary>
/// The probe the containers' health checks run, against a real platform on loopback (no Docker
/// needed): both ports answer grpc.health.v1 without credentials, while the APIs on the same
/// ports still demand theirs. Health means ready: the Referee API at once, the Platform API once
/// a scenario's model serves.
/// </summary>
public sealed class HealthProbeTests
{
    [Fact]
    public async Task Both_platform_ports_serve_health_without_credentials_and_the_apis_still_demand_them()
    {
        await using var platform = await PlatformHost.StartAsync(new PlatformHostOptions { OperatorToken = "operator" });
        var before = new StringWriter();
        Assert.Equal(Probe.NotServing, await Probe.RunAsync([platform.PlatformAddress.ToString()], new StringWriter(), before));
        Assert.Contains("NOTSERVING", before.ToString(), StringComparison.Ordinal);
        await ConfigureAsync(platform);
        foreach (var address in new[] { platform.PlatformAddress, platform.RefereeAddress })
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.Equal(Probe.Serving, await Probe.RunAsync([address.ToString()], stdout, stderr));
            Assert.Equal($"{address}: SERVING", stdout.ToString().Trim());
            Assert.Equal("", stderr.ToString());
        }

        using var channel = GrpcChannel.ForAddress(platform.RefereeAddress);
        var referee = new Referee.RefereeClient(channel);
        var denied = await Assert.ThrowsAsync<RpcException>(() => referee.StatusAsync(new StatusRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, denied.StatusCode);
        using var publicChannel = GrpcChannel.ForAddress(platform.PlatformAddress);
        var api = new PoisonRange.Contracts.Platform.V1.Platform.PlatformClient(publicChannel);
        var refused = await Assert.ThrowsAsync<RpcException>(() => api.RegisterAsync(new RegisterRequest()).ResponseAsync);
        Assert.NotEqual(StatusCode.OK, refused.StatusCode);
        Assert.NotEqual(StatusCode.Unimplemented, refused.StatusCode);
    }

    [Fact]
    public async Task A_closed_port_is_not_serving_in_one_line()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var stderr = new StringWriter();
        Assert.Equal(Probe.NotServing, await Probe.RunAsync([port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "2"], new StringWriter(), stderr));
        var line = stderr.ToString().TrimEnd();
        Assert.StartsWith($"health-probe: http://127.0.0.1:{port}/: Unavailable", line);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public async Task An_unknown_service_name_is_not_serving()
    {
        await using var platform = await PlatformHost.StartAsync(new PlatformHostOptions { OperatorToken = "operator" });
        var (status, detail) = await Probe.CheckAsync(platform.PlatformAddress, "no.such.Service", TimeSpan.FromSeconds(3));
        Assert.Null(status);
        Assert.Contains("no.such.Service", detail);
        var (overall, _) = await Probe.CheckAsync(platform.RefereeAddress, "", TimeSpan.FromSeconds(3));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overall);
    }

    /// <summary>A small scenario (synthetic data, popularity victim) through the Referee API.</summary>
    private static async Task ConfigureAsync(RunningPlatform platform)
    {
        using var channel = GrpcChannel.ForAddress(platform.RefereeAddress);
        var scenario = new Scenario
        {
            Name = "probe",
            Seed = 1,
            Dataset = new DatasetSpec { Source = "synthetic", Synthetic = new SyntheticSpec { Users = 50, Items = 30, MeanLength = 8 } },
            Victim = new VictimSpec { Kind = "poprec" },
            Limits = new Limits { ActionsPerAccount = 10, KMax = 20 },
        };
        scenario.AttackerKeys.Add("attacker");
        await new Referee.RefereeClient(channel).ConfigureAsync(scenario, new Metadata { { "authorization", "Bearer operator" } });
    }

    [Theory]
    [InlineData(new string[0], "an address or port is required")]
    [InlineData(new[] { "70000" }, "port 70000 is outside 1..65535")]
    [InlineData(new[] { "ftp://host:1" }, "neither a port nor an http(s) address")]
    [InlineData(new[] { "5000", "--timeout", "x" }, "--timeout needs a number of seconds")]
    [InlineData(new[] { "5000", "--verbose" }, "unknown option '--verbose'")]
    [InlineData(new[] { "5000", "a", "b" }, "too many arguments")]
    public async Task Bad_arguments_exit_2_with_one_line(string[] args, string expected)
    {
        var stderr = new StringWriter();
        Assert.Equal(Probe.BadInput, await Probe.RunAsync(args, new StringWriter(), stderr));
        Assert.Contains(expected, stderr.ToString());
        Assert.Single(stderr.ToString().TrimEnd().Split('\n'));
    }

    [Fact]
    public void A_bare_port_means_this_host_on_loopback()
    {
        Assert.True(Probe.TryParse(["5003", "agent.v1", "--timeout", "1.5"], out var address, out var service, out var timeout, out _));
        Assert.Equal(new Uri("http://127.0.0.1:5003"), address);
        Assert.Equal("agent.v1", service);
        Assert.Equal(TimeSpan.FromSeconds(1.5), timeout);
    }
}
