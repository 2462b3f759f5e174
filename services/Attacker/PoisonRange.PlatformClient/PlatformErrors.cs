using System.Globalization;
using Google.Rpc;
using Grpc.Core;

namespace PoisonRange.Client;

/// <summary>The kinds of platform call; each has its own resilience pipeline and counters.</summary>
public enum PlatformCallKind
{
    Register,
    Record,
    Recommend,
    ListItems,
    Crawl,
    GetQuota,
}

/// <summary>
/// A platform limit stopped a call: either the limit never resets (no retry trailer), or the
/// server's retry delay is longer than the client waits by itself, or the retries ran out.
/// </summary>
public sealed class PlatformLimitException : Exception
{
    public PlatformLimitException(PlatformCallKind operation, string limit, TimeSpan? retryAfter, RpcException inner)
        : base(BuildMessage(operation, limit, inner.Status.Detail, retryAfter), inner)
    {
        Operation = operation;
        Limit = limit;
        RetryAfter = retryAfter;
    }

    /// <summary>The call that hit the limit.</summary>
    public PlatformCallKind Operation { get; }

    /// <summary>The limit, as the platform named it (its <c>limit</c> trailer), or the call's usual limit when it did not.</summary>
    public string Limit { get; }

    /// <summary>When the same call may succeed again; null when the limit never resets.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>True when the limit never resets: waiting will not help.</summary>
    public bool IsPermanent => RetryAfter is null;

    public RpcException RpcException => (RpcException)InnerException!;

    private static string BuildMessage(PlatformCallKind operation, string limit, string detail, TimeSpan? retryAfter)
    {
        var what = string.IsNullOrWhiteSpace(detail) ? "" : $" ({detail.Trim()})";
        return retryAfter is { } delay
            ? $"Platform limit '{limit}' reached on {operation}{what}; the platform allows the call again after {delay.TotalMilliseconds:0} ms."
            : $"Platform limit '{limit}' reached on {operation}{what}; this limit does not reset (no retry-after trailer).";
    }

    internal static PlatformLimitException From(PlatformCallKind kind, RpcException ex)
        => new(kind, NameLimit(kind, ex), PlatformErrors.RetryAfter(ex), ex);

    private static string NameLimit(PlatformCallKind kind, RpcException ex)
    {
        var named = ex.Trailers?.GetValue(PlatformErrors.LimitTrailer);
        if (!string.IsNullOrWhiteSpace(named)) return named.Trim();
        var quota = PlatformErrors.TryGetDetail<QuotaFailure>(ex);
        if (quota is { Violations.Count: > 0 } && !string.IsNullOrWhiteSpace(quota.Violations[0].Subject))
            return quota.Violations[0].Subject;
        return kind switch
        {
            PlatformCallKind.Register => "registrations",
            PlatformCallKind.Record => "actions",
            PlatformCallKind.Recommend => "queries",
            PlatformCallKind.Crawl => "crawl-pages",
            _ => "quota",
        };
    }
}

/// <summary>The platform could not be reached: retries ran out on UNAVAILABLE, or the circuit is open.</summary>
public sealed class PlatformUnavailableException : Exception
{
    public PlatformUnavailableException(PlatformCallKind operation, bool circuitOpen, TimeSpan? retryAfter, Exception inner)
        : base(circuitOpen
            ? $"Platform unavailable on {operation}: the circuit is open after repeated failures{(retryAfter is { } d ? $"; next probe in {d.TotalMilliseconds:0} ms" : "")}."
            : $"Platform unavailable on {operation}: {inner.Message}", inner)
    {
        Operation = operation;
        CircuitOpen = circuitOpen;
        RetryAfter = retryAfter;
    }

    public PlatformCallKind Operation { get; }
    public bool CircuitOpen { get; }
    public TimeSpan? RetryAfter { get; }
}

/// <summary>Reading the platform's error trailers.</summary>
public static class PlatformErrors
{
    public const string RetryAfterTrailer = "retry-after-ms";
    public const string PushbackTrailer = "grpc-retry-pushback-ms";
    /// <summary>Trailer in which the platform names the limit of a RESOURCE_EXHAUSTED error.</summary>
    public const string LimitTrailer = "limit";

    /// <summary>
    /// The server's retry delay of a RESOURCE_EXHAUSTED error: the <c>retry-after-ms</c> trailer,
    /// else <c>grpc-retry-pushback-ms</c>, else a <c>google.rpc.RetryInfo</c> detail; null when
    /// none is present (the limit never resets) or the pushback is negative (do not retry).
    /// </summary>
    public static TimeSpan? RetryAfter(RpcException ex)
    {
        if (TryReadMilliseconds(ex.Trailers, RetryAfterTrailer, out var ms)) return ms < 0 ? null : TimeSpan.FromMilliseconds(ms);
        if (TryReadMilliseconds(ex.Trailers, PushbackTrailer, out ms)) return ms < 0 ? null : TimeSpan.FromMilliseconds(ms);
        var info = TryGetDetail<RetryInfo>(ex);
        if (info?.RetryDelay is { } d)
        {
            var delay = d.ToTimeSpan();
            return delay < TimeSpan.Zero ? null : delay;
        }
        return null;
    }

    internal static T? TryGetDetail<T>(RpcException ex) where T : class, Google.Protobuf.IMessage<T>, new()
    {
        try
        {
            return ex.GetRpcStatus()?.GetDetail<T>();
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static bool TryReadMilliseconds(Metadata trailers, string key, out long ms)
    {
        ms = 0;
        var entry = trailers?.Get(key);
        if (entry is null || entry.IsBinary) return false;
        return long.TryParse(entry.Value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out ms);
    }
}
