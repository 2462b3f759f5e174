using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PoisonRange.Platform.Diagnostics;
using PoisonRange.Platform.Engine;
using PoisonRange.Platform.Services;
using PoisonRange.Platform.Stores;
using StackExchange.Redis;

namespace PoisonRange.Platform;

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
/// Hosts the platform as two web applications, one per port, that share one engine and store:
/// the attacker-facing Platform API and the operator's Referee API never share a listener.
/// Each has the service defaults (grpc.health.v1, /alive, /health, reflection, logging,
/// telemetry); the standalone Program, the range's embedded mode and tests all start it here.
/// </summary>
public static class PlatformHost
{
    /// <summary>Exit codes of the standalone platform.</summary>
    public const int ExitStopped = 0, ExitUnavailable = 1, ExitBadInput = 2;

    /// <summary>
    /// The standalone platform: settings from appsettings.json, the environment
    /// (<c>Platform__OperatorToken</c>) and the command line (<c>--Platform:OperatorToken=...</c>);
    /// runs until SIGTERM or Ctrl+C. Bad settings exit 2, an unreachable store 1, each with one line.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
        var options = PlatformHostOptions.FromConfiguration(configuration);
        try
        {
            await using var platform = await StartAsync(options);
            stdout.WriteLine($"platform: Platform API on {platform.PlatformAddress}, Referee API on {platform.RefereeAddress}, store {options.StoreKind}");
            var done = new TaskCompletionSource();
            using var _ = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; done.TrySetResult(); });
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; done.TrySetResult(); };
            await done.Task;
            return ExitStopped;
        }
        catch (ArgumentException ex)
        {
            stderr.WriteLine($"platform: {ex.Message}");
            return ExitBadInput;
        }
        catch (Exception ex) when (ex is RedisConnectionException or IOException)
        {
            stderr.WriteLine($"platform: {ex.Message}");
            return ExitUnavailable;
        }
    }

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
        var platformApp = BuildApp(options, options.PlatformUrl, engineOptions, referee: false, services => services
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
        var refereeApp = BuildApp(options, options.RefereeUrl, engineOptions, referee: true, services => services.AddSingleton(engine));
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

    private static WebApplication BuildApp(PlatformHostOptions options, string url, IOptions<PlatformOptions> engineOptions, bool referee, Action<IServiceCollection> engine)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(PlatformHost).Assembly.GetName().Name });
        // A copy, not a chained source: a chained source writes through, so one application's
        // UseUrls would move the other's listener to its port.
        if (options.Configuration is not null) builder.Configuration.AddInMemoryCollection(options.Configuration.AsEnumerable());
        // Process-wide meters (runtime, PoisonRange.Platform) are collected once, by the Platform API's application.
        builder.AddServiceDefaults(processWideMetrics: !referee);
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        builder.WebHost.UseUrls(url);
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2));
        engine(builder.Services);
        builder.Services.AddSingleton(engineOptions);
        AddReadinessChecks(builder.Services.AddHealthChecks(), referee);
        if (referee)
        {
            // The credential guards the service itself; health and reflection on the same port are open.
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
        var app = builder.Build();
        app.MapDefaultEndpoints();
        if (referee) app.MapGrpcService<RefereeService>();
        else app.MapGrpcService<PlatformApiService>();
        return app;
    }

    /// <summary>
    /// What "ready" means (grpc.health.v1's overall status and /health): on the Referee API, the
    /// store answers, so an operator can configure a scenario; on the Platform API, the store
    /// answers and a model serves, so attackers get answers.
    /// </summary>
    private static void AddReadinessChecks(IHealthChecksBuilder checks, bool referee)
    {
        checks.AddCheck<StoreHealthCheck>("store");
        if (!referee) checks.AddCheck<PlatformReadinessCheck>("model");
    }
}
