using System.Globalization;
using StackExchange.Redis;

namespace PoisonRange.Platform.Stores;

/// <summary>
/// The platform's state in Redis, under a key prefix so several platforms can share one server.
/// Every read-check-write is one Lua script (<see cref="RedisScripts"/>); keys come from
/// <see cref="RedisKeys"/>. The multiplexer is injected and owned by the caller. Everything,
/// the model checkpoint included, survives a platform restart on the same Redis.
/// </summary>
public sealed class RedisPlatformStore : IPlatformStore
{
    private const int MaxIdAttempts = 8;

    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly string _prefix;

    public RedisPlatformStore(IConnectionMultiplexer redis, string? keyPrefix = null, int database = -1)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _redis = redis;
        _db = redis.GetDatabase(database);
        _prefix = string.IsNullOrEmpty(keyPrefix) ? RedisKeys.DefaultPrefix : keyPrefix;
    }

    public string Kind => "redis";

    public string KeyPrefix => _prefix;

    public async Task ResetAsync(string scenarioJson, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(scenarioJson);
        var pattern = RedisKeys.Pattern(_prefix);
        foreach (var server in _redis.GetServers())
        {
            if (!server.IsConnected || server.IsReplica) continue;
            var doomed = new List<RedisKey>(512);
            await foreach (var key in server.KeysAsync(_db.Database, pattern, pageSize: 1000).WithCancellation(ct))
            {
                doomed.Add(key);
                if (doomed.Count < 512) continue;
                await _db.KeyDeleteAsync(doomed.ToArray());
                doomed.Clear();
            }
            if (doomed.Count > 0) await _db.KeyDeleteAsync(doomed.ToArray());
        }
        await _db.StringSetAsync(RedisKeys.Scenario(_prefix), scenarioJson);
    }

    public async Task<string?> GetScenarioAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return await _db.StringGetAsync(RedisKeys.Scenario(_prefix));
    }

    public async Task<RegisterOutcome> RegisterAsync(string ownerKey, string? idempotencyKey, RegistrationLimits limits, long nowMs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ownerKey);
        ArgumentNullException.ThrowIfNull(limits);
        var windowed = FixedWindow.IsLimited(limits.RegistrationsPerWindow, limits.WindowMs);
        var window = windowed ? FixedWindow.Index(nowMs, limits.WindowMs) : 0;
        for (var attempt = 1; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            var id = AccountIds.New();
            var reply = (RedisResult[])(await RedisScripts.Register.EvaluateAsync(_db, new
            {
                registrations = RedisKeys.OwnerRegistrations(_prefix, ownerKey),
                ownerAccounts = RedisKeys.OwnerAccounts(_prefix, ownerKey),
                window = RedisKeys.OwnerRegistrationWindow(_prefix, ownerKey, window),
                account = RedisKeys.Account(_prefix, id),
                sequence = RedisKeys.Sequence(_prefix),
                accounts = RedisKeys.Accounts(_prefix),
                idem = idempotencyKey ?? "",
                total = (long)limits.AccountsPerKey,
                perWindow = windowed ? limits.RegistrationsPerWindow : 0L,
                ttl = windowed ? FixedWindow.TtlMs(nowMs, limits.WindowMs) : 0L,
                id,
                owner = ownerKey,
                now = nowMs,
            }))!;
            switch ((long)reply[0])
            {
                case 0: return new RegisterOutcome.Registered(id, Replayed: false);
                case 1: return new RegisterOutcome.Registered((string)reply[1]!, Replayed: true);
                case -1: return new RegisterOutcome.RegisterRejected(new(null, LimitNames.RegistrationsTotal));
                case -2: return new RegisterOutcome.RegisterRejected(new(FixedWindow.RetryAfter(nowMs, limits.WindowMs), LimitNames.RegistrationsWindow));
                case -3 when attempt < MaxIdAttempts: continue;
                default: throw new InvalidOperationException($"Registration script answered {reply[0]} after {attempt} attempts.");
            }
        }
    }

    public async Task<AccountRecord?> GetAccountAsync(string accountId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        ct.ThrowIfCancellationRequested();
        var fields = await _db.HashGetAllAsync(RedisKeys.Account(_prefix, accountId));
        return ParseAccount(accountId, fields.Select(f => (f.Name, f.Value)));
    }

    public async Task<IReadOnlyList<AccountRecord>> ListAccountsAsync(string? ownerKey, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var ids = await AccountIdsAsync(ownerKey);
        // Sent together: the multiplexer pipelines them.
        var reads = ids.Select(id => _db.HashGetAllAsync(RedisKeys.Account(_prefix, id))).ToArray();
        var hashes = await Task.WhenAll(reads);
        var accounts = new List<AccountRecord>(ids.Length);
        for (var i = 0; i < ids.Length; i++)
            if (ParseAccount(ids[i], hashes[i].Select(f => (f.Name, f.Value))) is { } account) accounts.Add(account);
        return accounts;
    }

    public async Task<AppendOutcome> AppendInteractionsAsync(string accountId, IReadOnlyList<StoredInteraction> batch, int maxActions, string? idempotencyKey, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        ArgumentNullException.ThrowIfNull(batch);
        ct.ThrowIfCancellationRequested();
        var reply = (RedisResult[])(await RedisScripts.Append.EvaluateAsync(_db, new
        {
            account = RedisKeys.Account(_prefix, accountId),
            log = RedisKeys.AccountLog(_prefix, accountId),
            appends = RedisKeys.AccountAppends(_prefix, accountId),
            interactionCount = RedisKeys.InteractionCount(_prefix),
            idem = idempotencyKey ?? "",
            n = (long)batch.Count,
            max = (long)Math.Max(0, maxActions),
            packed = InteractionCodec.Encode(batch),
        }))!;
        return (long)reply[0] switch
        {
            0 => new AppendOutcome.Appended((int)reply[1], Remaining((long)reply[2]), Replayed: false),
            1 => new AppendOutcome.Appended((int)reply[1], Remaining((long)reply[2]), Replayed: true),
            -1 => new AppendOutcome.AppendRejected((int)reply[1]),
            -9 => AppendOutcome.Missing,
            _ => throw new InvalidOperationException($"Append script answered {reply[0]}."),
        };

        static int Remaining(long remaining) => remaining < 0 ? int.MaxValue : (int)remaining;
    }

    public async Task<IReadOnlyList<StoredInteraction>> GetInteractionsAsync(string accountId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        ct.ThrowIfCancellationRequested();
        var packed = (byte[]?)await _db.StringGetAsync(RedisKeys.AccountLog(_prefix, accountId));
        return packed is null ? [] : InteractionCodec.Decode(packed);
    }

    public async Task<IReadOnlyList<(AccountRecord Account, IReadOnlyList<StoredInteraction> Interactions)>> GetAllInteractionsAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var ids = await AccountIdsAsync(null);
        var reads = ids.Select(id => RedisScripts.ReadAccount.EvaluateAsync(_db, new
        {
            account = RedisKeys.Account(_prefix, id),
            log = RedisKeys.AccountLog(_prefix, id),
        })).ToArray();
        var replies = await Task.WhenAll(reads);
        var result = new List<(AccountRecord, IReadOnlyList<StoredInteraction>)>(ids.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            var reply = (RedisResult[])replies[i]!;
            var fields = (RedisResult[])reply[0]!;
            var pairs = Enumerable.Range(0, fields.Length / 2).Select(j => ((RedisValue)fields[2 * j], (RedisValue)fields[2 * j + 1]));
            if (ParseAccount(ids[i], pairs) is not { } account) continue;
            var packed = (byte[]?)reply[1];
            result.Add((account, packed is null ? [] : InteractionCodec.Decode(packed)));
        }
        return result;
    }

    public async Task<long> GetInteractionCountAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return (long?)await _db.StringGetAsync(RedisKeys.InteractionCount(_prefix)) ?? 0;
    }

    public async Task<LimitDecision> TryConsumeQueryAsync(string ownerKey, string accountId, QueryLimits limits, long nowMs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ownerKey);
        ArgumentNullException.ThrowIfNull(accountId);
        ArgumentNullException.ThrowIfNull(limits);
        ct.ThrowIfCancellationRequested();
        var windowed = FixedWindow.IsLimited(limits.PerAccountPerWindow, limits.WindowMs);
        var window = windowed ? FixedWindow.Index(nowMs, limits.WindowMs) : 0;
        var status = (long)await RedisScripts.Query.EvaluateAsync(_db, new
        {
            used = RedisKeys.OwnerQueries(_prefix, ownerKey),
            window = RedisKeys.AccountQueryWindow(_prefix, accountId, window),
            budget = Math.Max(0, limits.BudgetPerKey),
            perWindow = windowed ? limits.PerAccountPerWindow : 0L,
            ttl = windowed ? FixedWindow.TtlMs(nowMs, limits.WindowMs) : 0L,
        });
        return status switch
        {
            0 => LimitDecision.Admit,
            -1 => new LimitDecision.Rejected(null, LimitNames.KeyBudget),
            -2 => new LimitDecision.Rejected(FixedWindow.RetryAfter(nowMs, limits.WindowMs), LimitNames.AccountWindow),
            _ => throw new InvalidOperationException($"Query script answered {status}."),
        };
    }

    public async Task<LimitDecision> TryConsumeCrawlPageAsync(string ownerKey, int limit, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ownerKey);
        ct.ThrowIfCancellationRequested();
        var status = (long)await RedisScripts.CrawlPage.EvaluateAsync(_db, new
        {
            used = RedisKeys.OwnerCrawlPages(_prefix, ownerKey),
            limit = (long)Math.Max(0, limit),
        });
        return status == 0 ? LimitDecision.Admit : new LimitDecision.Rejected(null, LimitNames.CrawlPages);
    }

    public async Task<QuotaUsage> GetQuotaUsageAsync(string ownerKey, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ownerKey);
        ct.ThrowIfCancellationRequested();
        var accounts = _db.SortedSetLengthAsync(RedisKeys.OwnerAccounts(_prefix, ownerKey));
        var queries = _db.StringGetAsync(RedisKeys.OwnerQueries(_prefix, ownerKey));
        var pages = _db.StringGetAsync(RedisKeys.OwnerCrawlPages(_prefix, ownerKey));
        return new QuotaUsage((int)await accounts, (long?)await queries ?? 0, (int?)await pages ?? 0);
    }

    public async Task SetFlaggedAsync(string accountId, bool flagged, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        ct.ThrowIfCancellationRequested();
        await RedisScripts.Flag.EvaluateAsync(_db, new
        {
            account = RedisKeys.Account(_prefix, accountId),
            flagged = flagged ? 1L : 0L,
        });
    }

    public async Task SaveModelAsync(ModelCheckpoint checkpoint, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ct.ThrowIfCancellationRequested();
        // One HSET writes every field, so a reader never sees half of two checkpoints.
        await _db.HashSetAsync(RedisKeys.Model(_prefix),
        [
            new HashEntry("version", checkpoint.Version),
            new HashEntry("payload", checkpoint.Payload),
            new HashEntry("trained", checkpoint.TrainedUnixMs),
            new HashEntry("interactions", checkpoint.InteractionCount),
            new HashEntry("seconds", checkpoint.TrainSeconds.ToString("R", CultureInfo.InvariantCulture)),
            new HashEntry("metadata", checkpoint.MetadataJson),
        ]);
    }

    public async Task<ModelCheckpoint?> LoadModelAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var entries = await _db.HashGetAllAsync(RedisKeys.Model(_prefix));
        if (entries.Length == 0) return null;
        var fields = entries.ToDictionary(e => (string)e.Name!, e => e.Value);
        return new ModelCheckpoint(
            (string?)fields["version"] ?? "",
            (byte[]?)fields["payload"] ?? [],
            (long)fields["trained"],
            (long)fields["interactions"],
            double.Parse((string)fields["seconds"]!, NumberStyles.Float, CultureInfo.InvariantCulture),
            (string?)fields["metadata"] ?? "");
    }

    private async Task<string[]> AccountIdsAsync(string? ownerKey)
    {
        var key = ownerKey is null ? RedisKeys.Accounts(_prefix) : RedisKeys.OwnerAccounts(_prefix, ownerKey);
        var members = await _db.SortedSetRangeByRankAsync(key);
        return members.Select(m => (string)m!).ToArray();
    }

    private static AccountRecord? ParseAccount(string accountId, IEnumerable<(RedisValue Name, RedisValue Value)> fields)
    {
        string? owner = null;
        long registered = 0, sequence = 0;
        int actions = 0;
        var flagged = false;
        foreach (var (name, value) in fields)
        {
            switch ((string?)name)
            {
                case "owner": owner = value; break;
                case "registered": registered = (long)value; break;
                case "actions": actions = (int)value; break;
                case "flagged": flagged = (long)value != 0; break;
                case "seq": sequence = (long)value; break;
            }
        }
        return owner is null ? null : new AccountRecord(accountId, owner, registered, actions, flagged, sequence);
    }
}
