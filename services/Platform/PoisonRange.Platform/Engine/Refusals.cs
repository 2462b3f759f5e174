namespace PoisonRange.Platform.Engine;

/// <summary>Why the engine refuses a call; the gRPC services give each its own status code.</summary>
public enum Refusal
{
    /// <summary>The request itself is wrong (a bad k, an empty batch, a rating out of range).</summary>
    InvalidArgument,

    /// <summary>An item, user or account the request names does not exist.</summary>
    NotFound,

    /// <summary>The account belongs to another attacker key.</summary>
    PermissionDenied,

    /// <summary>No scenario is configured yet.</summary>
    NotConfigured,

    /// <summary>A limit of the scenario refused the call (<see cref="LimitReachedException"/>).</summary>
    LimitReached,
}

/// <summary>A call the engine refuses, with a one-line message for the caller.</summary>
public class RefusedException(Refusal reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public Refusal Reason { get; } = reason;
}

/// <summary>
/// A limit refused the call. <see cref="RetryAfterMs"/> is the delay after which the same call can
/// succeed, or null when the limit never resets.
/// </summary>
public sealed class LimitReachedException(string limit, string message, long? retryAfterMs)
    : RefusedException(Refusal.LimitReached, message)
{
    /// <summary>The limit that refused (one of <see cref="Stores.LimitNames"/>).</summary>
    public string Limit { get; } = limit;

    public long? RetryAfterMs { get; } = retryAfterMs;
}

/// <summary>A scenario the platform cannot run, with a message for the operator.</summary>
public sealed class ScenarioException(string message, Exception? inner = null)
    : RefusedException(Refusal.InvalidArgument, message, inner);
