namespace PoisonRange.Client;

/// <summary>Thread-safe counters of what a <see cref="PlatformClient"/> sent to the platform.</summary>
public sealed class PlatformCallCounters
{
    private readonly long[] _attempts = new long[Enum.GetValues<PlatformCallKind>().Length];
    private long _retries;
    private long _crawlPages;
    private long _limitWaits;

    /// <summary>Counts one attempt (one RPC sent) of the given kind.</summary>
    internal void Attempt(PlatformCallKind kind) => Interlocked.Increment(ref _attempts[(int)kind]);

    internal void Retry(bool limitWait)
    {
        Interlocked.Increment(ref _retries);
        if (limitWait) Interlocked.Increment(ref _limitWaits);
    }

    internal void CrawlPage() => Interlocked.Increment(ref _crawlPages);

    public PlatformCallSnapshot Snapshot()
    {
        var attempts = new long[_attempts.Length];
        for (int i = 0; i < attempts.Length; i++) attempts[i] = Interlocked.Read(ref _attempts[i]);
        return new PlatformCallSnapshot(attempts, Interlocked.Read(ref _retries), Interlocked.Read(ref _crawlPages), Interlocked.Read(ref _limitWaits));
    }
}

/// <summary>A point-in-time copy of <see cref="PlatformCallCounters"/>; subtract two to get the calls of one operation.</summary>
public sealed record PlatformCallSnapshot
{
    private readonly long[] _attempts;

    internal PlatformCallSnapshot(long[] attempts, long retries, long crawlPages, long limitWaits)
    {
        _attempts = attempts;
        Retries = retries;
        CrawlPages = crawlPages;
        LimitWaits = limitWaits;
    }

    /// <summary>RPCs sent (every attempt, retries included).</summary>
    public long Calls => _attempts.Sum();

    /// <summary>Recommend RPCs sent: what the platform counts against the query budget.</summary>
    public long Queries => _attempts[(int)PlatformCallKind.Recommend];

    /// <summary>Retries of any kind (transient failures and waits for a limit's retry delay).</summary>
    public long Retries { get; }

    /// <summary>Retries that waited for the server's retry delay after RESOURCE_EXHAUSTED.</summary>
    public long LimitWaits { get; }

    /// <summary>Crawl pages received.</summary>
    public long CrawlPages { get; }

    public long AttemptsOf(PlatformCallKind kind) => _attempts[(int)kind];

    public static PlatformCallSnapshot operator -(PlatformCallSnapshot after, PlatformCallSnapshot before)
    {
        var attempts = new long[after._attempts.Length];
        for (int i = 0; i < attempts.Length; i++) attempts[i] = after._attempts[i] - before._attempts[i];
        return new PlatformCallSnapshot(attempts, after.Retries - before.Retries, after.CrawlPages - before.CrawlPages, after.LimitWaits - before.LimitWaits);
    }

    public override string ToString() => $"{Calls} calls ({Queries} queries, {CrawlPages} crawl pages), {Retries} retries";
}
