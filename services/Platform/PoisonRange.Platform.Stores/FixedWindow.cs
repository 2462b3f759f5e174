namespace PoisonRange.Platform.Stores;

/// <summary>Fixed-window arithmetic on the caller's clock, shared by both stores.</summary>
internal static class FixedWindow
{
    /// <summary>Shortest lifetime of a Redis window key, so a test clock that runs ahead of real time keeps its counts.</summary>
    private const long MinimumTtlMs = 60_000;

    public static bool IsLimited(long limit, long windowMs) => limit > 0 && windowMs > 0;

    public static long Index(long nowMs, long windowMs) => Math.DivRem(nowMs, windowMs) is var (q, r) && r < 0 ? q - 1 : q;

    /// <summary>Milliseconds from <paramref name="nowMs"/> to the end of its window (at least 1).</summary>
    public static long RetryAfter(long nowMs, long windowMs) => (Index(nowMs, windowMs) + 1) * windowMs - nowMs;

    /// <summary>TTL for a window key on its first hit: the rest of the window plus one more, at least a minute.</summary>
    public static long TtlMs(long nowMs, long windowMs) => Math.Max(MinimumTtlMs, RetryAfter(nowMs, windowMs) + windowMs);
}

/// <summary>Unguessable account ids: "acct-" and 16 hex digits from a CSPRNG.</summary>
internal static class AccountIds
{
    public static string New() => "acct-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}
