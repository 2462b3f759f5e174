namespace PoisonRange.Platform.Stores;

/// <summary>The names a <see cref="LimitDecision.Rejected"/> gives to the limit that refused.</summary>
public static class LimitNames
{
    public const string AccountWindow = "account-window";
    public const string KeyBudget = "key-budget";
    public const string RegistrationsTotal = "registrations-total";
    public const string RegistrationsWindow = "registrations-window";
    public const string CrawlPages = "crawl-pages";
    public const string Actions = "actions";
}

/// <summary>Whether a limit admitted a call.</summary>
public abstract record LimitDecision
{
    private LimitDecision() { }

    public static LimitDecision.Admitted Admit { get; } = new();

    public sealed record Admitted : LimitDecision;

    /// <summary>
    /// Refused by <paramref name="Limit"/> (one of <see cref="LimitNames"/>). RetryAfterMs is the
    /// exact delay after which the same call can succeed, or null when the limit never resets.
    /// </summary>
    public sealed record Rejected(long? RetryAfterMs, string Limit) : LimitDecision;
}

public abstract record RegisterOutcome
{
    private RegisterOutcome() { }

    /// <summary>A new account, or (Replayed=true) the one an earlier call with the same idempotency key made.</summary>
    public sealed record Registered(string AccountId, bool Replayed) : RegisterOutcome;

    public sealed record RegisterRejected(LimitDecision.Rejected Decision) : RegisterOutcome
    {
        public long? RetryAfterMs => Decision.RetryAfterMs;
        public string Limit => Decision.Limit;
    }
}

public abstract record AppendOutcome
{
    private AppendOutcome() { }

    public static AppendOutcome.AccountMissing Missing { get; } = new();

    /// <summary>
    /// The batch was written (or, Replayed=true, had been written by an earlier call with the same
    /// idempotency key, whose Accepted and RemainingActions these are). RemainingActions is
    /// int.MaxValue when actions are unlimited.
    /// </summary>
    public sealed record Appended(int Accepted, int RemainingActions, bool Replayed) : AppendOutcome;

    /// <summary>The batch would pass the lifetime limit; nothing was written. The limit never resets.</summary>
    public sealed record AppendRejected(int RemainingActions) : AppendOutcome
    {
        public LimitDecision.Rejected Decision => new(null, LimitNames.Actions);
    }

    public sealed record AccountMissing : AppendOutcome;
}
