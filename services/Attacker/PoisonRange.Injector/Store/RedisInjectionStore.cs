using System.Globalization;
using System.Text.Json;
using PoisonRange.Contracts.Attacker.V1;
using StackExchange.Redis;

namespace PoisonRange.Injector.Store;

/// <summary>
/// The injector's progress in the attacker's own Redis (never the platform's). Keys of one job
/// share a hash tag, so they live in one cluster slot:
/// <c>{prefix}job:{id}:def</c> (hash: request bytes, created, fingerprint),
/// <c>{prefix}job:{id}:accounts</c> (hash: profile id → account id),
/// <c>{prefix}job:{id}:batches</c> (hash: profile id → batches recorded),
/// <c>{prefix}job:{id}:stats</c> (JSON of <see cref="InjectionRunStats"/>).
/// </summary>
public sealed class RedisInjectionStore : IInjectionStore
{
    public const string DefaultKeyPrefix = "poisonrange:injector:";

    // Creates the job only when absent; answers 1 when created.
    private static readonly LuaScript CreateJobScript = LuaScript.Prepare("""
        if redis.call('EXISTS', @def) == 0 then
          redis.call('HSET', @def, 'request', @request, 'created', @created, 'fingerprint', @fingerprint)
          return 1
        end
        return 0
        """);

    // The first account stored for a profile wins; answers the stored one.
    private static readonly LuaScript SetAccountScript = LuaScript.Prepare("""
        redis.call('HSETNX', @accounts, @profile, @account)
        return redis.call('HGET', @accounts, @profile)
        """);

    // A profile's batch count only grows.
    private static readonly LuaScript RaiseBatchesScript = LuaScript.Prepare("""
        local current = tonumber(redis.call('HGET', @batches, @profile) or '0')
        local proposed = tonumber(@done)
        if proposed > current then
          redis.call('HSET', @batches, @profile, proposed)
          return proposed
        end
        return current
        """);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly int _database;

    public RedisInjectionStore(IConnectionMultiplexer redis, string? keyPrefix = null, int database = -1)
    {
        _redis = redis ?? throw new ArgumentNullException(nameof(redis));
        _prefix = string.IsNullOrEmpty(keyPrefix) ? DefaultKeyPrefix : keyPrefix;
        _database = database;
    }

    private IDatabase Db => _redis.GetDatabase(_database);

    public async Task<InjectionJob> CreateJobAsync(InjectionJob job, CancellationToken cancellationToken = default)
    {
        var keys = Keys.For(_prefix, job.JobId);
        await CreateJobScript.EvaluateAsync(Db, new
        {
            def = keys.Definition,
            request = (RedisValue)Google.Protobuf.MessageExtensions.ToByteArray(job.ToRequest()),
            created = (RedisValue)job.CreatedUtc.ToUnixTimeMilliseconds(),
            fingerprint = (RedisValue)job.Fingerprint,
        }).ConfigureAwait(false);
        return await GetJobAsync(job.JobId, cancellationToken).ConfigureAwait(false)
               ?? throw new InvalidOperationException($"Injection job '{job.JobId}' vanished from Redis right after it was stored.");
    }

    public async Task<InjectionJob?> GetJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var keys = Keys.For(_prefix, jobId);
        var fields = await Db.HashGetAsync(keys.Definition, ["request", "created"]).ConfigureAwait(false);
        if (fields[0].IsNull) return null;
        var request = InjectRequest.Parser.ParseFrom((byte[])fields[0]!);
        var created = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse((string)fields[1]!, CultureInfo.InvariantCulture));
        return InjectionJob.FromRequest(request, created);
    }

    public async Task<IReadOnlyDictionary<string, ProfileProgress>> GetProgressAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var keys = Keys.For(_prefix, jobId);
        var db = Db;
        var accountsTask = db.HashGetAllAsync(keys.Accounts);
        var batchesTask = db.HashGetAllAsync(keys.Batches);
        var accounts = await accountsTask.ConfigureAwait(false);
        var batches = await batchesTask.ConfigureAwait(false);
        var result = new Dictionary<string, ProfileProgress>(StringComparer.Ordinal);
        foreach (var e in accounts)
            result[(string)e.Name!] = new ProfileProgress((string)e.Value!, 0);
        foreach (var e in batches)
        {
            var profile = (string)e.Name!;
            result.TryGetValue(profile, out var p);
            result[profile] = p with { BatchesDone = (int)e.Value };
        }
        return result;
    }

    public async Task<string> SetAccountAsync(string jobId, string profileId, string accountId, CancellationToken cancellationToken = default)
    {
        var keys = Keys.For(_prefix, jobId);
        var stored = await SetAccountScript.EvaluateAsync(Db, new { accounts = keys.Accounts, profile = (RedisValue)profileId, account = (RedisValue)accountId }).ConfigureAwait(false);
        return (string)stored!;
    }

    public async Task SetBatchesDoneAsync(string jobId, string profileId, int batchesDone, CancellationToken cancellationToken = default)
    {
        var keys = Keys.For(_prefix, jobId);
        await RaiseBatchesScript.EvaluateAsync(Db, new { batches = keys.Batches, profile = (RedisValue)profileId, done = (RedisValue)batchesDone }).ConfigureAwait(false);
    }

    public async Task<InjectionRunStats?> GetStatsAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var value = await Db.StringGetAsync(Keys.For(_prefix, jobId).Stats).ConfigureAwait(false);
        return value.IsNull ? null : JsonSerializer.Deserialize<InjectionRunStats>((string)value!, Json);
    }

    public Task SaveStatsAsync(string jobId, InjectionRunStats stats, CancellationToken cancellationToken = default)
        => Db.StringSetAsync(Keys.For(_prefix, jobId).Stats, JsonSerializer.Serialize(stats, Json));

    /// <summary>Key builders of one job.</summary>
    internal readonly record struct Keys(RedisKey Definition, RedisKey Accounts, RedisKey Batches, RedisKey Stats)
    {
        public static Keys For(string prefix, string jobId)
        {
            var root = $"{prefix}job:{{{jobId}}}:";
            return new Keys(root + "def", root + "accounts", root + "batches", root + "stats");
        }
    }
}
