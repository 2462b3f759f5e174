using System.Collections.Concurrent;

namespace PoisonRange.Platform.Stores;

/// <summary>
/// The embedded store: everything in process memory. Thread-safe and exact under concurrency:
/// each decision holds the lock of the one key (and, for queries, the one account window) it reads.
/// Lock order where two are held: account window, then key.
/// </summary>
public sealed class InMemoryPlatformStore : IPlatformStore
{
    private State _state = new(null);

    public string Kind => "memory";

    private State Current => Volatile.Read(ref _state);

    public Task ResetAsync(string scenarioJson, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(scenarioJson);
        ct.ThrowIfCancellationRequested();
        Volatile.Write(ref _state, new State(scenarioJson));
        return Task.CompletedTask;
    }

    public Task<string?> GetScenarioAsync(CancellationToken ct = default) => Task.FromResult(Current.Scenario);

    public Task<RegisterOutcome> RegisterAsync(string ownerKey, string? idempotencyKey, RegistrationLimits limits, long nowMs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ownerKey);
        ArgumentNullException.ThrowIfNull(limits);
        ct.ThrowIfCancellationRequested();
        var state = Current;
        var owner = state.Owner(ownerKey);
        lock (owner)
        {
            if (!string.IsNullOrEmpty(idempotencyKey) && owner.RegistrationKeys.TryGetValue(idempotencyKey, out var existing))
                return Task.FromResult<RegisterOutcome>(new RegisterOutcome.Registered(existing, Replayed: true));

            if (limits.AccountsPerKey > 0 && owner.Accounts.Count >= limits.AccountsPerKey)
                return Task.FromResult<RegisterOutcome>(new RegisterOutcome.RegisterRejected(new(null, LimitNames.RegistrationsTotal)));

            if (FixedWindow.IsLimited(limits.RegistrationsPerWindow, limits.WindowMs))
            {
                var window = FixedWindow.Index(nowMs, limits.WindowMs);
                if (owner.RegistrationWindows.Count(window) >= limits.RegistrationsPerWindow)
                    return Task.FromResult<RegisterOutcome>(new RegisterOutcome.RegisterRejected(
                        new(FixedWindow.RetryAfter(nowMs, limits.WindowMs), LimitNames.RegistrationsWindow)));
                owner.RegistrationWindows.Increment(window);
            }

            var sequence = Interlocked.Increment(ref state.NextSequence) - 1;
            AccountState account;
            do account = new AccountState(AccountIds.New(), ownerKey, nowMs, sequence);
            while (!state.Accounts.TryAdd(account.Id, account));
            owner.Accounts.Add(account);
            if (!string.IsNullOrEmpty(idempotencyKey)) owner.RegistrationKeys[idempotencyKey] = account.Id;
            return Task.FromResult<RegisterOutcome>(new RegisterOutcome.Registered(account.Id, Replayed: false));
        }
    }

    public Task<AccountRecord?> GetAccountAsync(string accountId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        return Task.FromResult(Current.Accounts.TryGetValue(accountId, out var account) ? account.Snapshot() : null);
    }

    public Task<IReadOnlyList<AccountRecord>> ListAccountsAsync(string? ownerKey, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var accounts = Ordered(Current, ownerKey);
        return Task.FromResult<IReadOnlyList<AccountRecord>>(accounts.Select(a => a.Snapshot()).ToArray());
    }

    public Task<AppendOutcome> AppendInteractionsAsync(string accountId, IReadOnlyList<StoredInteraction> batch, int maxActions, string? idempotencyKey, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        ArgumentNullException.ThrowIfNull(batch);
        ct.ThrowIfCancellationRequested();
        var state = Current;
        if (!state.Accounts.TryGetValue(accountId, out var account))
            return Task.FromResult<AppendOutcome>(AppendOutcome.Missing);
        lock (account)
        {
            if (!string.IsNullOrEmpty(idempotencyKey) && account.AppendKeys.TryGetValue(idempotencyKey, out var first))
                return Task.FromResult<AppendOutcome>(first with { Replayed = true });

            if (maxActions > 0 && (long)account.Actions + batch.Count > maxActions)
                return Task.FromResult<AppendOutcome>(new AppendOutcome.AppendRejected(maxActions - account.Actions));

            account.Log.AddRange(batch);
            account.Actions += batch.Count;
            Interlocked.Add(ref state.InteractionCount, batch.Count);
            var outcome = new AppendOutcome.Appended(batch.Count, maxActions > 0 ? maxActions - account.Actions : int.MaxValue, Replayed: false);
            if (!string.IsNullOrEmpty(idempotencyKey)) account.AppendKeys[idempotencyKey] = outcome;
            return Task.FromResult<AppendOutcome>(outcome);
        }
    }

    public Task<IReadOnlyList<StoredInteraction>> GetInteractionsAsync(string accountId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        if (!Current.Accounts.TryGetValue(accountId, out var account))
            return Task.FromResult<IReadOnlyList<StoredInteraction>>([]);
        lock (account) return Task.FromResult<IReadOnlyList<StoredInteraction>>(account.Log.ToArray());
    }

    public Task<IReadOnlyList<(AccountRecord Account, IReadOnlyList<StoredInteraction> Interactions)>> GetAllInteractionsAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var result = new List<(AccountRecord, IReadOnlyList<StoredInteraction>)>();
        foreach (var account in Ordered(Current, null))
            lock (account) result.Add((account.Snapshot(), account.Log.ToArray()));
        return Task.FromResult<IReadOnlyList<(AccountRecord Account, IReadOnlyList<StoredInteraction> Interactions)>>(result);
    }

    public Task<long> GetInteractionCountAsync(CancellationToken ct = default) =>
        Task.FromResult(Interlocked.Read(ref Current.InteractionCount));

    public Task<LimitDecision> TryConsumeQueryAsync(string ownerKey, string accountId, QueryLimits limits, long nowMs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ownerKey);
        ArgumentNullException.ThrowIfNull(accountId);
        ArgumentNullException.ThrowIfNull(limits);
        ct.ThrowIfCancellationRequested();
        var state = Current;
        var owner = state.Owner(ownerKey);
        if (!FixedWindow.IsLimited(limits.PerAccountPerWindow, limits.WindowMs))
        {
            lock (owner) return Task.FromResult(ConsumeBudget(owner, limits.BudgetPerKey));
        }

        var windows = state.QueryWindows.GetOrAdd(accountId, static _ => new WindowCounts());
        lock (windows)
        lock (owner)
        {
            if (limits.BudgetPerKey > 0 && owner.QueriesUsed >= limits.BudgetPerKey)
                return Task.FromResult<LimitDecision>(new LimitDecision.Rejected(null, LimitNames.KeyBudget));
            var window = FixedWindow.Index(nowMs, limits.WindowMs);
            if (windows.Count(window) >= limits.PerAccountPerWindow)
                return Task.FromResult<LimitDecision>(new LimitDecision.Rejected(FixedWindow.RetryAfter(nowMs, limits.WindowMs), LimitNames.AccountWindow));
            windows.Increment(window);
            owner.QueriesUsed++;
            return Task.FromResult<LimitDecision>(LimitDecision.Admit);
        }
    }

    private static LimitDecision ConsumeBudget(OwnerState owner, long budget)
    {
        if (budget > 0 && owner.QueriesUsed >= budget) return new LimitDecision.Rejected(null, LimitNames.KeyBudget);
        owner.QueriesUsed++;
        return LimitDecision.Admit;
    }

    public Task<LimitDecision> TryConsumeCrawlPageAsync(string ownerKey, int limit, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ownerKey);
        ct.ThrowIfCancellationRequested();
        var owner = Current.Owner(ownerKey);
        lock (owner)
        {
            if (limit > 0 && owner.CrawlPages >= limit)
                return Task.FromResult<LimitDecision>(new LimitDecision.Rejected(null, LimitNames.CrawlPages));
            owner.CrawlPages++;
            return Task.FromResult<LimitDecision>(LimitDecision.Admit);
        }
    }

    public Task<QuotaUsage> GetQuotaUsageAsync(string ownerKey, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ownerKey);
        if (!Current.Owners.TryGetValue(ownerKey, out var owner)) return Task.FromResult(new QuotaUsage(0, 0, 0));
        lock (owner) return Task.FromResult(new QuotaUsage(owner.Accounts.Count, owner.QueriesUsed, owner.CrawlPages));
    }

    public Task SetFlaggedAsync(string accountId, bool flagged, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        if (Current.Accounts.TryGetValue(accountId, out var account))
            lock (account) account.Flagged = flagged;
        return Task.CompletedTask;
    }

    public Task SaveModelAsync(ModelCheckpoint checkpoint, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ct.ThrowIfCancellationRequested();
        // A private copy, so a caller reusing its buffer cannot change the stored model.
        Volatile.Write(ref Current.Model, checkpoint with { Payload = checkpoint.Payload.ToArray() });
        return Task.CompletedTask;
    }

    public Task<ModelCheckpoint?> LoadModelAsync(CancellationToken ct = default)
    {
        var model = Volatile.Read(ref Current.Model);
        return Task.FromResult(model is null ? null : model with { Payload = model.Payload.ToArray() });
    }

    private static AccountState[] Ordered(State state, string? ownerKey)
    {
        if (ownerKey is null)
            return state.Accounts.Values.OrderBy(a => a.Sequence).ToArray();
        if (!state.Owners.TryGetValue(ownerKey, out var owner)) return [];
        lock (owner) return owner.Accounts.ToArray();
    }

    /// <summary>Everything a reset replaces; calls racing a reset finish on the state they started with.</summary>
    private sealed class State(string? scenario)
    {
        public readonly string? Scenario = scenario;
        public readonly ConcurrentDictionary<string, OwnerState> Owners = new(StringComparer.Ordinal);
        public readonly ConcurrentDictionary<string, AccountState> Accounts = new(StringComparer.Ordinal);
        public readonly ConcurrentDictionary<string, WindowCounts> QueryWindows = new(StringComparer.Ordinal);
        public long NextSequence;
        public long InteractionCount;
        public ModelCheckpoint? Model;

        public OwnerState Owner(string ownerKey) => Owners.GetOrAdd(ownerKey, static _ => new OwnerState());
    }

    /// <summary>Per attacker key; guarded by its own lock.</summary>
    private sealed class OwnerState
    {
        public readonly List<AccountState> Accounts = [];
        public readonly Dictionary<string, string> RegistrationKeys = new(StringComparer.Ordinal);
        public readonly WindowCounts RegistrationWindows = new();
        public long QueriesUsed;
        public int CrawlPages;
    }

    /// <summary>Per account; guarded by its own lock.</summary>
    private sealed class AccountState(string id, string ownerKey, long registeredMs, long sequence)
    {
        public readonly string Id = id;
        public readonly string OwnerKey = ownerKey;
        public readonly long RegisteredMs = registeredMs;
        public readonly List<StoredInteraction> Log = [];
        public readonly Dictionary<string, AppendOutcome.Appended> AppendKeys = new(StringComparer.Ordinal);
        public readonly long Sequence = sequence;
        public int Actions;
        public bool Flagged;

        public AccountRecord Snapshot()
        {
            lock (this) return new AccountRecord(Id, OwnerKey, RegisteredMs, Actions, Flagged, Sequence);
        }
    }

    /// <summary>
    /// Counts per fixed-window index, as the Redis store keeps one key per window. Keeps the newest
    /// two windows, so a caller whose clock lags by less than a window still counts against its own.
    /// </summary>
    private sealed class WindowCounts
    {
        private readonly Dictionary<long, int> _counts = [];
        private long _newest = long.MinValue;

        public int Count(long window) => _counts.GetValueOrDefault(window);

        public void Increment(long window)
        {
            _counts[window] = Count(window) + 1;
            if (window <= _newest) return;
            _newest = window;
            if (_counts.Count > 2)
                foreach (var old in _counts.Keys.Where(k => k < window - 1).ToArray()) _counts.Remove(old);
        }
    }
}
