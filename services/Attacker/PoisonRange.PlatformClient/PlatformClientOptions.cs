namespace PoisonRange.Client;

/// <summary>
/// How an attacker service reaches the platform: address, key, deadlines, client-side pacing,
/// retries and the circuit breaker. Bound from the <c>Platform</c> configuration section.
/// </summary>
public sealed class PlatformClientOptions
{
    public const string SectionName = "Platform";

    /// <summary>The platform's attacker-facing gRPC address (h2c or TLS), e.g. <c>http://platform:5001</c>.</summary>
    public string Address { get; set; } = "http://127.0.0.1:5001";

    /// <summary>The attacker key, sent as <c>authorization: Bearer &lt;key&gt;</c> on every call.</summary>
    public string AttackerKey { get; set; } = "";

    /// <summary>gRPC deadline of every unary call (one attempt).</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Client-side timeout of one attempt; defaults to <see cref="Deadline"/>.</summary>
    public TimeSpan? AttemptTimeout { get; set; }

    /// <summary>Upper bound on one logical call, retries and waits for the server's retry delay included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>gRPC deadline of one crawl stream (all the pages it returns).</summary>
    public TimeSpan CrawlDeadline { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Upper bound on a whole crawl, resumptions included.</summary>
    public TimeSpan CrawlTotalTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Client-side rate limit in calls per second over every call kind; 0 or less disables it.</summary>
    public double RateLimitPerSecond { get; set; } = 50;

    /// <summary>Calls that may start at once after an idle period; 0 means one second's worth (at least 1).</summary>
    public int RateLimitBurst { get; set; }

    /// <summary>Retries after the first attempt (transient failures and waits for a limit's retry delay).</summary>
    public int RetryMaxAttempts { get; set; } = 5;

    /// <summary>First backoff delay for UNAVAILABLE / DEADLINE_EXCEEDED; doubles per retry, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Cap on the exponential backoff (not on the server's retry delay).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest server retry delay the client waits for by itself; a longer one surfaces as a
    /// <see cref="PlatformLimitException"/> carrying the delay.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(2);

    public CircuitBreakerSettings CircuitBreaker { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(Address, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new ArgumentException($"Platform:Address must be an absolute http(s) URI, got '{Address}'.");
        if (string.IsNullOrWhiteSpace(AttackerKey))
            throw new ArgumentException("Platform:AttackerKey is required.");
        Positive(Deadline, nameof(Deadline));
        Positive(AttemptTimeout ?? Deadline, nameof(AttemptTimeout));
        Positive(TotalTimeout, nameof(TotalTimeout));
        Positive(CrawlDeadline, nameof(CrawlDeadline));
        Positive(CrawlTotalTimeout, nameof(CrawlTotalTimeout));
        Positive(RetryBaseDelay, nameof(RetryBaseDelay));
        Positive(RetryMaxDelay, nameof(RetryMaxDelay));
        if (MaxRetryAfter < TimeSpan.Zero) throw new ArgumentException("Platform:MaxRetryAfter must not be negative.");
        if (RetryMaxAttempts < 0) throw new ArgumentException("Platform:RetryMaxAttempts must not be negative.");
        if (RateLimitBurst < 0) throw new ArgumentException("Platform:RateLimitBurst must not be negative.");
        if (double.IsNaN(RateLimitPerSecond)) throw new ArgumentException("Platform:RateLimitPerSecond is not a number.");
        CircuitBreaker.Validate();
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentException($"Platform:{name} must be positive, got {value}.");
    }
}

/// <summary>Circuit breaker over every call kind: opens when the platform looks down.</summary>
public sealed class CircuitBreakerSettings
{
    /// <summary>Set to false to leave the breaker out of the pipelines.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Share of failed attempts (UNAVAILABLE, DEADLINE_EXCEEDED, attempt timeout) that opens the circuit.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Attempts needed in the sampling window before the ratio is considered.</summary>
    public int MinimumThroughput { get; set; } = 8;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open before one probe attempt is let through.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    internal void Validate()
    {
        if (FailureRatio is <= 0 or > 1) throw new ArgumentException("Platform:CircuitBreaker:FailureRatio must be in (0, 1].");
        if (MinimumThroughput < 2) throw new ArgumentException("Platform:CircuitBreaker:MinimumThroughput must be at least 2.");
        if (SamplingDuration < TimeSpan.FromMilliseconds(500)) throw new ArgumentException("Platform:CircuitBreaker:SamplingDuration must be at least 500 ms.");
        if (BreakDuration < TimeSpan.FromMilliseconds(500)) throw new ArgumentException("Platform:CircuitBreaker:BreakDuration must be at least 500 ms.");
    }
}
