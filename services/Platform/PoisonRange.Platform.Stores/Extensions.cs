using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace PoisonRange.Platform.Stores;

/// <summary>Which store the platform uses: configuration section "Store".</summary>
public sealed record PlatformStoreOptions
{
    public const string SectionName = "Store";

    /// <summary>"memory" (the default) or "redis".</summary>
    public string Kind { get; init; } = "memory";

    /// <summary>StackExchange.Redis connection string; when empty, an IConnectionMultiplexer must already be registered.</summary>
    public string? Redis { get; init; }

    /// <summary>Prefix of every key; two platforms sharing a Redis need two prefixes.</summary>
    public string KeyPrefix { get; init; } = RedisKeys.DefaultPrefix;

    public static PlatformStoreOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var defaults = new PlatformStoreOptions();
        return new PlatformStoreOptions
        {
            Kind = string.IsNullOrWhiteSpace(section["Kind"]) ? defaults.Kind : section["Kind"]!.Trim().ToLowerInvariant(),
            Redis = string.IsNullOrWhiteSpace(section["Redis"]) ? null : section["Redis"],
            KeyPrefix = string.IsNullOrEmpty(section["KeyPrefix"]) ? defaults.KeyPrefix : section["KeyPrefix"]!,
        };
    }
}

public static class Extensions
{
    /// <summary>
    /// Registers the singleton <see cref="IPlatformStore"/> chosen by the "Store" section:
    /// Kind=memory|redis, Redis=connection string, KeyPrefix. For redis, a connection string
    /// registers the process's one IConnectionMultiplexer unless one is registered already.
    /// </summary>
    public static IServiceCollection AddPlatformStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = PlatformStoreOptions.From(configuration);
        services.TryAddSingleton(options);
        switch (options.Kind)
        {
            case "memory":
                services.TryAddSingleton<IPlatformStore, InMemoryPlatformStore>();
                break;
            case "redis":
                if (options.Redis is { } connectionString)
                    services.TryAddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(connectionString));
                services.TryAddSingleton<IPlatformStore>(sp => new RedisPlatformStore(
                    sp.GetService<IConnectionMultiplexer>() ?? throw new InvalidOperationException(
                        "Store:Kind is redis but neither Store:Redis nor an IConnectionMultiplexer is configured."),
                    options.KeyPrefix));
                break;
            default:
                throw new InvalidOperationException($"Store:Kind '{options.Kind}' is not a store; use memory or redis.");
        }
        return services;
    }
}
