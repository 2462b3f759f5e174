using System.Diagnostics.Metrics;
using System.Net;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using PoisonRange.Testing;
using Xunit;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace PoisonRange.ServiceDefaults.Tests;

/// <summary>The endpoints, health semantics and telemetry every host gets from AddServiceDefaults.</summary>
public sealed class ServiceDefaultsTests
{
    private static HttpClient Http2(Uri address) => new()
    {
        BaseAddress = address,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    [Fact]
    public async Task Alive_is_the_process_health_the_ready_endpoints_follow_the_checks()
    {
        await using var server = new LoopbackHealthServer();
        await server.StartAsync();
        using var http = Http2(server.Address);
        using var channel = GrpcChannel.ForAddress(server.Address);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ServiceDefaultsExtensions.HealthPath)).StatusCode);
        Assert.Equal(ServingStatus.Serving, await LoopbackHealthServer.StatusAsync(channel));

        server.Ready = false;
        var alive = await http.GetAsync(ServiceDefaultsExtensions.AlivePath);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal("Healthy", await alive.Content.ReadAsStringAsync());
        var health = await http.GetAsync(ServiceDefaultsExtensions.HealthPath);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy", await health.Content.ReadAsStringAsync());
        Assert.Equal(ServingStatus.NotServing, await LoopbackHealthServer.StatusAsync(channel));

        server.Ready = true;
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ServiceDefaultsExtensions.HealthPath)).StatusCode);
        Assert.Equal(ServingStatus.Serving, await LoopbackHealthServer.StatusAsync(channel));
    }

    [Fact]
    public async Task Reflection_lists_the_health_and_reflection_services()
    {
        await using var server = new LoopbackHealthServer();
        await server.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        var services = await ReflectionServices.ListAsync(channel);
        Assert.Contains("grpc.health.v1.Health", services);
        Assert.Contains("grpc.reflection.v1alpha.ServerReflection", services);
    }

    [Fact]
    public async Task A_poisonrange_meter_reaches_the_exporter_without_otlp_and_other_meters_do_not()
    {
        var exported = new List<Metric>();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [ServiceDefaultsExtensions.OtlpEndpointSetting] = "" });
        builder.ConfigureOpenTelemetry();
        builder.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(exported));
        using var host = builder.Build();
        await host.StartAsync();

        using var ours = new Meter("PoisonRange.Tests.Defaults");
        using var theirs = new Meter("Elsewhere.Tests.Defaults");
        ours.CreateCounter<long>("poisonrange.tests.retrains").Add(3);
        theirs.CreateCounter<long>("elsewhere.tests.calls").Add(5);
        Assert.True(host.Services.GetRequiredService<MeterProvider>().ForceFlush(5000));
        await host.StopAsync();

        var metric = Assert.Single(exported, m => m.Name == "poisonrange.tests.retrains");
        Assert.Equal("PoisonRange.Tests.Defaults", metric.MeterName);
        long sum = 0;
        foreach (ref readonly var point in metric.GetMetricPoints()) sum += point.GetSumLong();
        Assert.Equal(3, sum);
        Assert.DoesNotContain(exported, m => m.Name == "elsewhere.tests.calls");
    }

    [Theory]
    [InlineData(null, "simple", true)]
    [InlineData("json", "json", true)]
    [InlineData(null, "simple", false)]
    [InlineData("json", "json", false)]
    public void Console_logs_are_single_line_with_utc_timestamps_or_json_when_configured(string? formatter, string expected, bool slim)
    {
        // The platform's slim builder and the other hosts' full one: the logging section of the
        // configuration applies to the console, and the formatter is always named (unnamed, the
        // console logger's legacy options overwrite the formatter's and entries take two lines).
        var builder = slim ? WebApplication.CreateSlimBuilder() : WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:Console:FormatterName"] = formatter });
        builder.ConfigureStructuredLogging();
        using var host = builder.Build();

        var console = host.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
        Assert.Equal(expected, console.FormatterName);
        var simple = host.Services.GetRequiredService<IOptionsMonitor<SimpleConsoleFormatterOptions>>().CurrentValue;
        Assert.True(simple.SingleLine);
        Assert.True(simple.UseUtcTimestamp);
        Assert.NotNull(simple.TimestampFormat);
        var json = host.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;
        Assert.True(json.UseUtcTimestamp);
        Assert.NotNull(json.TimestampFormat);
    }

    [Fact]
    public async Task Dependency_check_is_unhealthy_while_unreachable_and_caches_its_answer()
    {
        await using var dependency = new LoopbackHealthServer();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // A generous deadline: this test is about reachability and the cache, not about speed.
        using var check = new GrpcDependencyHealthCheck("platform", dependency.Address.ToString(), time, deadline: TimeSpan.FromSeconds(10));
        var context = new HealthCheckContext();

        var down = await check.CheckHealthAsync(context);
        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        Assert.StartsWith("platform is unreachable", down.Description);

        await dependency.StartAsync();
        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(context)).Status);
        time.Advance(GrpcDependencyHealthCheck.DefaultCacheFor + TimeSpan.FromMilliseconds(1));
        var up = await check.CheckHealthAsync(context);
        Assert.True(up.Status == HealthStatus.Healthy, up.Description);

        // Answering but not ready is reachable: degraded, which grpc.health.v1 reports as serving.
        dependency.Ready = false;
        time.Advance(GrpcDependencyHealthCheck.DefaultCacheFor + TimeSpan.FromMilliseconds(1));
        var notReady = await check.CheckHealthAsync(context);
        Assert.Equal(HealthStatus.Degraded, notReady.Status);
        Assert.Contains("NotServing", notReady.Description);
    }

    [Theory]
    [InlineData(null, "the platform address is not set")]
    [InlineData("platform:5000", "the platform address 'platform:5000' is not an http(s) address")]
    public async Task Dependency_check_names_a_bad_address_in_one_line(string? address, string expected)
    {
        using var check = new GrpcDependencyHealthCheck("platform", address);
        var result = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(expected, result.Description);
    }
}
