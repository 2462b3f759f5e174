using System.Net;
using System.Net.Sockets;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PoisonRange.Testing;

/// <summary>
/// A gRPC server on a fixed loopback port with the service defaults and one readiness check the
/// test switches (<see cref="Ready"/>): it can be stopped and started again on the same port,
/// to play a dependency that goes away and comes back.
/// </summary>
public sealed class LoopbackHealthServer : IAsyncDisposable
{
    private WebApplication? _app;

    public LoopbackHealthServer(int? port = null) => Port = port ?? FreePort();

    public int Port { get; }
    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>The switched readiness check's answer.</summary>
    public bool Ready { get; set; } = true;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task StartAsync()
    {
        if (_app is not null) return;
        var builder = WebApplication.CreateSlimBuilder();
        builder.AddServiceDefaults();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddHealthChecks().AddCheck("switch", () => Ready ? HealthCheckResult.Healthy("switched on") : HealthCheckResult.Unhealthy("switched off"));
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>grpc.health.v1's overall status of the server at <paramref name="channel"/>.</summary>
    public static async Task<HealthCheckResponse.Types.ServingStatus> StatusAsync(GrpcChannel channel)
    {
        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
        return reply.Status;
    }

    /// <summary>Polls until the status is <paramref name="expected"/>; fails after <paramref name="within"/>.</summary>
    public static async Task WaitForStatusAsync(GrpcChannel channel, HealthCheckResponse.Types.ServingStatus expected, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        HealthCheckResponse.Types.ServingStatus last;
        do
        {
            last = await StatusAsync(channel);
            if (last == expected) return;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < until);
        throw new TimeoutException($"health stayed {last}, expected {expected} within {within.TotalSeconds} s");
    }
}

/// <summary>The services a server lists through gRPC server reflection.</summary>
public static class ReflectionServices
{
    public static async Task<IReadOnlyList<string>> ListAsync(GrpcChannel channel)
    {
        var client = new ServerReflection.ServerReflectionClient(channel);
        using var call = client.ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        if (!await call.ResponseStream.MoveNext(CancellationToken.None))
            throw new InvalidOperationException("the reflection service closed without an answer");
        return call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
    }
}
