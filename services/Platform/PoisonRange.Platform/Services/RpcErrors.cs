using System.Diagnostics.CodeAnalysis;
using Grpc.Core;
using PoisonRange.Platform.Engine;

namespace PoisonRange.Platform.Services;

/// <summary>The platform's error replies, in one place, so every code of the contract is raised the same way.</summary>
internal static class RpcErrors
{
    public const string RetryAfterTrailer = "retry-after-ms";
    public const string PushbackTrailer = "grpc-retry-pushback-ms";

    [DoesNotReturn]
    public static void InvalidArgument(string message) => throw new RpcException(new Status(StatusCode.InvalidArgument, message));

    [DoesNotReturn]
    public static void NotFound(string message) => throw new RpcException(new Status(StatusCode.NotFound, message));

    [DoesNotReturn]
    public static void PermissionDenied(string message) => throw new RpcException(new Status(StatusCode.PermissionDenied, message));

    [DoesNotReturn]
    public static void Unauthenticated(string message) => throw new RpcException(new Status(StatusCode.Unauthenticated, message));

    [DoesNotReturn]
    public static void FailedPrecondition(string message) => throw new RpcException(new Status(StatusCode.FailedPrecondition, message));

    /// <summary>The status the contract gives to each of the engine's refusals.</summary>
    [DoesNotReturn]
    public static void Refused(RefusedException refusal)
    {
        switch (refusal)
        {
            case LimitReachedException limit:
                ResourceExhausted(limit.Limit, limit.Message, limit.RetryAfterMs);
                break;
            case { Reason: Refusal.InvalidArgument }:
                InvalidArgument(refusal.Message);
                break;
            case { Reason: Refusal.NotFound }:
                NotFound(refusal.Message);
                break;
            case { Reason: Refusal.PermissionDenied }:
                PermissionDenied(refusal.Message);
                break;
            case { Reason: Refusal.NotConfigured }:
                FailedPrecondition(refusal.Message);
                break;
        }
        throw new RpcException(new Status(StatusCode.Internal, refusal.Message));
    }

    /// <summary>
    /// RESOURCE_EXHAUSTED with the delay after which the same call can succeed; no trailer when the
    /// limit never resets.
    /// </summary>
    [DoesNotReturn]
    public static void ResourceExhausted(string limit, string message, long? retryAfterMs)
    {
        var trailers = new Metadata { { "limit", limit } };
        if (retryAfterMs is { } ms)
        {
            var value = Math.Max(1, ms).ToString(System.Globalization.CultureInfo.InvariantCulture);
            trailers.Add(RetryAfterTrailer, value);
            trailers.Add(PushbackTrailer, value);
        }
        throw new RpcException(new Status(StatusCode.ResourceExhausted, message), trailers);
    }
}
