using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PoisonRange.Platform.Diagnostics;
using PoisonRange.Platform.Engine;
using PoisonRange.Platform.Services;
using PoisonRange.Platform.Stores;
using StackExchange.Redis;

namespace PoisonRange.Platform;

/// <summary>How to start a platform: its two addresses, the operator token and the store.</summary>
public sealed class PlatformHostOptions
{
    /// <summary>The attacker-facing Platform API (h2c). Port 0 picks a free port.</summary>
    public string PlatformUrl { get; set; } = "http://127.0.0.1:0";

    /// <summary>The operator's Referee API (h2c), on its own port.</summary>
    public string RefereeUrl { get; set; } = "http://127.0.0.1:0";

    public string OperatorToken { get; set; } = "";
    public string? DataDirectory { get; set; }

    /// <summary>"memory" (default) or "redis".</summary>
    public string StoreKind { get; set; } = "memory";

    /// <summary>Redis connection string when <see cref="StoreKind"/> is "redis".</summary>
    public string? Redis { get; set; }

    /// <summary>Prefix of every Redis key, so platforms can share a Redis.</summary>
    public string RedisKeyPrefix { get; set; } = "poisonrange:platform:";

    public int TrainThreads { get; set; }
    public int SchedulerPollMs { get; set; } = 100;
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Warning;
}

/// <summary>A started platform. Disposing it stops both ports and the retrain scheduler.</summary>
public sealed class RunningPlatform : IAsyncDisposable
{
    private readonly WebApplication _platformApp;
    private readonly WebApplication _refereeApp;

    internal RunningPlatform(WebApplication platformApp, WebApplication refereeApp, PlatformEngine engine)
    {
        _platformApp = platformApp;
        _refereeApp = refereeApp;
        Engine = engine;
        PlatformAddress = new Uri(Address(platformApp));
        RefereeAddress = new Uri(Address(refereeApp));
    }

    public Uri PlatformAddress { get; }
    public Uri RefereeAddress { get; }
    public PlatformEngine Engine { get; }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public async ValueTask DisposeAsync()
    {
        await _platformApp.StopAsync();
        await _refereeApp.StopAsync();
        await Engine.DisposeAsync();
        await _platformApp.DisposeAsync();
        await _refereeApp.DisposeAsync();
    }
}

/// <summary>
/// Health of both ports (grpc.health.v1, unauthenticated): serving once the engine has loaded
/// its state, and only while the store answers (a platform whose Redis is gone is not serving).
/// </summary>
internal sealed class StoreHealthCheck(PlatformEngine engine) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            var probe = await engine.ProbeStoreAsync(timeout.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"{probe.Kind} store answers ({probe.Interactions} interactions)");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{engine.StoreKind} store does not answer: {e.Message}");
        }
    }
}

/// <summary>
/// Hosts the platform as two web applications, one per port, that share one engine and store:
/// the attacker-facing Platform API and the operator's Referee API never share a listener.
/// </summary>
public static class PlatformHost
{
    public static async Task<RunningPlatform> StartAsync(PlatformHostOptions options, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(options.OperatorToken))
            throw new ArgumentException("An operator token is required (Platform:OperatorToken).", nameof(options));

        var store = await CreateStoreAsync(options);
        var engineOptions = Options.Create(new PlatformOptions
        {
            OperatorToken = options.OperatorToken,
            DataDirectory = options.DataDirectory,
            TrainThreads = options.TrainThreads,
            SchedulerPollMs = options.SchedulerPollMs,
        });
        // The platform app's container owns the engine and its meter (IMeterFactory); the referee
        // app shares that engine.
        var platformApp = BuildApp(options.PlatformUrl, engineOptions, options.MinimumLogLevel, referee: false, services => services
            .AddSingleton(store)
            .AddSingleton(TimeProvider.System)
            .AddSingleton<PlatformMetrics>()
            .AddSingleton<PlatformEngine>());
        var engine = platformApp.Services.GetRequiredService<PlatformEngine>();
        try
        {
            await engine.InitializeAsync(ct);
        }
        catch
        {
            await platformApp.DisposeAsync();
            throw;
        }
        var refereeApp = BuildApp(options.RefereeUrl, engineOptions, options.MinimumLogLevel, referee: true, services => services.AddSingleton(engine));
        await platformApp.StartAsync(ct);
        await refereeApp.StartAsync(ct);
        return new RunningPlatform(platformApp, refereeApp, engine);
    }

    internal static async Task<IPlatformStore> CreateStoreAsync(PlatformHostOptions options)
    {
        switch (options.StoreKind.ToLowerInvariant())
        {
            case "memory":
                return new InMemoryPlatformStore();
            case "redis":
                if (string.IsNullOrWhiteSpace(options.Redis))
                    throw new ArgumentException("Store kind 'redis' needs a connection string (Store:Redis).", nameof(options));
                var mux = await ConnectionMultiplexer.ConnectAsync(options.Redis);
                return new RedisPlatformStore(mux, options.RedisKeyPrefix);
            default:
                throw new ArgumentException($"Unknown store kind '{options.StoreKind}': use memory or redis.", nameof(options));
        }
    }

    private static WebApplication BuildApp(string url, IOptions<PlatformOptions> engineOptions, LogLevel logLevel, bool referee, Action<IServiceCollection> engine)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(PlatformHost).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel);
        builder.WebHost.UseUrls(url);
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2));
        engine(builder.Services);
        builder.Services.AddSingleton(engineOptions);
        if (referee)
        {
            // The credential guards the service itself; the health service on the same port is open.
            builder.Services.AddSingleton<OperatorTokenInterceptor>();
            builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 64 * 1024 * 1024)
                .AddServiceOptions<RefereeService>(o =>
                {
                    o.Interceptors.Add<OperatorTokenInterceptor>();
                    o.Interceptors.Add<RefusalInterceptor>();
                });
        }
        else
        {
            builder.Services.AddSingleton<AttackerKeyInterceptor>();
            builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024)
                .AddServiceOptions<PlatformApiService>(o =>
                {
                    o.Interceptors.Add<AttackerKeyInterceptor>();
                    o.Interceptors.Add<RefusalInterceptor>();
                });
        }
        builder.Services.AddGrpcHealthChecks().AddCheck<StoreHealthCheck>("store");
        var app = builder.Build();
        if (referee) app.MapGrpcService<RefereeService>();
        else app.MapGrpcService<PlatformApiService>();
        app.MapGrpcHealthChecksService();
        return app;
    }
}
