using Grpc.Core;
using PoisonRange.Platform.Engine;

namespace PoisonRange.Platform.Services;

/// <summary>
/// The authenticated caller of a Platform API call, kept in <see cref="ServerCallContext.UserState"/>
/// under one private key: <see cref="AttackerKeyInterceptor"/> sets it, handlers read it typed.
/// </summary>
internal static class CallerContextExtensions
{
    private static readonly object Slot = new();

    public static void SetCaller(this ServerCallContext context, CallerContext caller) => context.UserState[Slot] = caller;

    /// <summary>The caller the interceptor authenticated; a handler reached without it is a wiring bug.</summary>
    public static CallerContext Caller(this ServerCallContext context) =>
        context.UserState.TryGetValue(Slot, out var value) && value is CallerContext caller
            ? caller
            : throw new InvalidOperationException($"No caller on this call: {nameof(AttackerKeyInterceptor)} is not installed.");
}
