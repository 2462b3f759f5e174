namespace PoisonRange.Platform.Stores;

/// <summary>
/// The platform's state: scenario, accounts, interaction log, quotas and the serving model's
/// checkpoint. Every read-check-write decision is atomic, so no limit is ever over-admitted,
/// however many callers race. Fixed windows are computed from the caller's <c>nowMs</c>.
/// </summary>
public interface IPlatformStore
{
    /// <summary>"memory" or "redis".</summary>
    string Kind { get; }

    /// <summary>
    /// Clears every account, interaction, counter, quota and the model checkpoint, then stores
    /// the scenario (opaque JSON). Callers quiesce traffic first: a call racing a reset may land
    /// on either side of it.
    /// </summary>
    Task ResetAsync(string scenarioJson, CancellationToken ct = default);

    Task<string?> GetScenarioAsync(CancellationToken ct = default);

    /// <summary>
    /// Registers an account for <paramref name="ownerKey"/>. Limits: accounts per key in total
    /// (never resets) and registrations per key per fixed window. The same
    /// (ownerKey, idempotencyKey) returns the same account with Replayed=true and consumes nothing.
    /// A null or empty idempotency key means none.
    /// </summary>
    Task<RegisterOutcome> RegisterAsync(string ownerKey, string? idempotencyKey, RegistrationLimits limits, long nowMs, CancellationToken ct = default);

    Task<AccountRecord?> GetAccountAsync(string accountId, CancellationToken ct = default);

    /// <summary>Accounts in registration order; all of them when <paramref name="ownerKey"/> is null.</summary>
    Task<IReadOnlyList<AccountRecord>> ListAccountsAsync(string? ownerKey, CancellationToken ct = default);

    /// <summary>
    /// Appends a batch all-or-nothing if the account's lifetime actions stay at or under
    /// <paramref name="maxActions"/> (0 or less: unlimited); else nothing is written.
    /// Idempotent per (accountId, idempotencyKey): a repeat of an accepted batch returns the first
    /// outcome with Replayed=true and writes nothing. A rejected batch records no key (it wrote
    /// nothing, and a retry is judged again).
    /// </summary>
    Task<AppendOutcome> AppendInteractionsAsync(string accountId, IReadOnlyList<StoredInteraction> batch, int maxActions, string? idempotencyKey, CancellationToken ct = default);

    /// <summary>The account's interactions in append order (empty for an unknown account).</summary>
    Task<IReadOnlyList<StoredInteraction>> GetInteractionsAsync(string accountId, CancellationToken ct = default);

    /// <summary>Every account's interactions, accounts in registration order (for retraining).</summary>
    Task<IReadOnlyList<(AccountRecord Account, IReadOnlyList<StoredInteraction> Interactions)>> GetAllInteractionsAsync(CancellationToken ct = default);

    /// <summary>Interactions appended since the last reset (monotonic; survives restarts on the same Redis).</summary>
    Task<long> GetInteractionCountAsync(CancellationToken ct = default);

    /// <summary>
    /// Consumes one query from the account's fixed window and from the key's total budget, only
    /// if both admit. An exhausted budget wins over a full window (it never resets).
    /// </summary>
    Task<LimitDecision> TryConsumeQueryAsync(string ownerKey, string accountId, QueryLimits limits, long nowMs, CancellationToken ct = default);

    /// <summary>Consumes one crawl page from the key's total (<paramref name="limit"/> 0 or less: unlimited).</summary>
    Task<LimitDecision> TryConsumeCrawlPageAsync(string ownerKey, int limit, CancellationToken ct = default);

    Task<QuotaUsage> GetQuotaUsageAsync(string ownerKey, CancellationToken ct = default);

    /// <summary>Sets the detector's flag on an account; an unknown account is ignored.</summary>
    Task SetFlaggedAsync(string accountId, bool flagged, CancellationToken ct = default);

    /// <summary>Replaces the serving model's checkpoint.</summary>
    Task SaveModelAsync(ModelCheckpoint checkpoint, CancellationToken ct = default);

    Task<ModelCheckpoint?> LoadModelAsync(CancellationToken ct = default);
}

/// <summary>One recorded interaction. Item is the platform's internal item index.</summary>
public sealed record StoredInteraction(int Item, float? Rating, long TimestampMs);

/// <summary>An account. Sequence is the registration order since the last reset: 0, 1, 2...</summary>
public sealed record AccountRecord(string AccountId, string OwnerKey, long RegisteredUnixMs, int Actions, bool Flagged, long Sequence);

/// <summary>Registration limits; a value of 0 or less means unlimited.</summary>
public sealed record RegistrationLimits(int AccountsPerKey, int RegistrationsPerWindow, long WindowMs)
{
    public static readonly RegistrationLimits Unlimited = new(0, 0, 0);
}

/// <summary>Query limits; a value of 0 or less means unlimited (the window too when WindowMs is 0 or less).</summary>
public sealed record QueryLimits(int PerAccountPerWindow, long WindowMs, long BudgetPerKey)
{
    public static readonly QueryLimits Unlimited = new(0, 0, 0);
}

/// <summary>What a key has used.</summary>
public sealed record QuotaUsage(int Accounts, long QueriesUsed, int CrawlPagesUsed);

/// <summary>The serving model: opaque bytes plus what the platform reports about it.</summary>
public sealed record ModelCheckpoint(string Version, byte[] Payload, long TrainedUnixMs, long InteractionCount, double TrainSeconds, string MetadataJson);
