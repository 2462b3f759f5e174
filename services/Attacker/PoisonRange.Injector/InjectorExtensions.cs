using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PoisonRange.Client;
using PoisonRange.Injector.Store;
using StackExchange.Redis;

namespace PoisonRange.Injector;

/// <summary>Wiring of the injector into any host (its own Program, or the range's embedded mode).</summary>
public static class InjectorExtensions
{
    /// <summary>
    /// The injector as a service of its own: <see cref="AddInjector"/> plus readiness, which
    /// holds only while its progress store answers and the platform answers
    /// (<see cref="GrpcDependencyHealthCheck"/>).
    /// </summary>
    public static TBuilder AddInjectorService<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddInjector(builder.Configuration);
        builder.Services.AddHealthChecks().AddCheck<InjectionStoreHealthCheck>("store");
        builder.AddGrpcDependencyHealthCheck("platform", sp => sp.GetRequiredService<IOptions<PlatformClientOptions>>().Value.Address);
        return builder;
    }

    /// <summary>
    /// Registers gRPC, the platform client (<c>Platform:*</c>), the injector options
    /// (<c>Injector:*</c>), its store (<c>Store:Kind</c> = InMemory | Redis, <c>Store:Redis</c>,
    /// <c>Store:KeyPrefix</c>) and the <see cref="InjectionRunner"/>. A store registered before
    /// this call is kept. The Redis store uses its own connection, never one the host registered
    /// for something else (such as the platform's store in embedded mode).
    /// </summary>
    public static IServiceCollection AddInjector(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddGrpc();
        services.AddPlatformClient(configuration);
        services.AddOptions<InjectorOptions>().Bind(configuration.GetSection(InjectorOptions.SectionName));
        services.AddOptions<InjectionStoreOptions>().Bind(configuration.GetSection(InjectionStoreOptions.SectionName));
        services.TryAddSingleton<InjectorRedisConnection>();
        services.TryAddSingleton<IInjectionStore>(sp =>
        {
            var store = sp.GetRequiredService<IOptions<InjectionStoreOptions>>().Value;
            return store.Kind.Trim().ToLowerInvariant() switch
            {
                "inmemory" or "memory" or "" => new InMemoryInjectionStore(),
                "redis" => new RedisInjectionStore(sp.GetRequiredService<InjectorRedisConnection>().Connection, store.KeyPrefix),
                _ => throw new InvalidOperationException($"Store:Kind '{store.Kind}' is not known; use InMemory or Redis."),
            };
        });
        services.TryAddSingleton(sp => new InjectionRunner(
            sp.GetRequiredService<PlatformClient>(),
            sp.GetRequiredService<IInjectionStore>(),
            sp.GetRequiredService<IOptions<InjectorOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<InjectionRunner>>()));
        return services;
    }

    /// <summary>Maps the Injector gRPC service.</summary>
    public static GrpcServiceEndpointConventionBuilder MapInjector(this IEndpointRouteBuilder endpoints)
        => endpoints.MapGrpcService<InjectorService>();
}

/// <summary>
/// Health of the injector: its progress store answers (with a Redis store, the attacker's Redis
/// is reachable). A lookup of a job id no job has touches the store without changing it.
/// </summary>
public sealed class InjectionStoreHealthCheck(IInjectionStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await store.GetJobAsync("health-probe", timeout.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy("injection store answers");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"injection store does not answer: {e.Message}");
        }
    }
}

/// <summary>The injector's own Redis connection (one per process), opened on first use.</summary>
public sealed class InjectorRedisConnection(IOptions<InjectionStoreOptions> options) : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _connection = new(() =>
    {
        var text = options.Value.Redis;
        if (string.IsNullOrWhiteSpace(text))
            throw new InvalidOperationException("Store:Kind is Redis but Store:Redis (the attacker's Redis connection string) is empty.");
        var config = ConfigurationOptions.Parse(text);
        config.AbortOnConnectFail = false;
        return ConnectionMultiplexer.Connect(config);
    });

    public IConnectionMultiplexer Connection => _connection.Value;

    public void Dispose()
    {
        if (_connection.IsValueCreated) _connection.Value.Dispose();
    }
}
