namespace PoisonRange.Injector;

/// <summary>Injector settings, bound from the <c>Injector</c> configuration section.</summary>
public sealed class InjectorOptions
{
    public const string SectionName = "Injector";

    /// <summary>Profiles delivered at once (each is register, then its batches in order).</summary>
    public int MaxConcurrentProfiles { get; set; } = 4;

    /// <summary>Interactions per Record call when a request does not say.</summary>
    public int DefaultBatchSize { get; set; } = 15;

    /// <summary>Ask GetQuota before a job and refuse one the platform's limits cannot take.</summary>
    public bool CheckQuotaFirst { get; set; } = true;

    /// <summary>Upper bound on profiles per job (a guard against mistaken requests).</summary>
    public int MaxProfilesPerJob { get; set; } = 1_000_000;
}

/// <summary>Where the injector keeps its progress, bound from the <c>Store</c> configuration section.</summary>
public sealed class InjectionStoreOptions
{
    public const string SectionName = "Store";

    /// <summary><c>InMemory</c> (default) or <c>Redis</c>.</summary>
    public string Kind { get; set; } = "InMemory";

    /// <summary>StackExchange.Redis configuration string of the attacker's own Redis (with Kind = Redis).</summary>
    public string? Redis { get; set; }

    /// <summary>Prefix of every key the injector writes.</summary>
    public string KeyPrefix { get; set; } = Store.RedisInjectionStore.DefaultKeyPrefix;
}
