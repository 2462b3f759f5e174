using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PoisonRange.Range.Embedded;

/// <summary>
/// One service's web application on a free loopback port (h2c), configured in code only: no
/// settings file or environment variable of the machine leaks in. Callers reach it through
/// <see cref="Address"/> with the service's gRPC client, exactly as in compose.
/// </summary>
public sealed class LoopbackHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Builds, wires (<paramref name="addServices"/>, <paramref name="map"/>) and starts the application.</summary>
    public static async Task<LoopbackHost> StartAsync(
        string name,
        IReadOnlyDictionary<string, string?> settings,
        bool verbose,
        Action<IServiceCollection, IConfiguration> addServices,
        Action<WebApplication> map,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(addServices);
        ArgumentNullException.ThrowIfNull(map);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = $"PoisonRange.Range.{name}" });
        builder.Logging.ClearProviders();
        if (verbose) builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2));
        // Health and reflection as every host has them; logging and telemetry stay the range's.
        builder.AddDefaultHealthChecks();
        builder.Services.AddGrpc();
        builder.Services.AddGrpcReflection();
        addServices(builder.Services, builder.Configuration);

        var app = builder.Build();
        app.MapDefaultEndpoints();
        map(app);
        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
