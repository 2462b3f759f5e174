using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;
using PoisonRange.Platform.Engine;

namespace PoisonRange.Platform.Services;

internal static class Bearer
{
    public static string? Read(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null) return null;
        const string prefix = "Bearer ";
        return header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? header[prefix.Length..].Trim() : null;
    }
}

/// <summary>
/// Resolves the caller's attacker key on the Platform port: a missing or unknown key is
/// UNAUTHENTICATED; before any scenario, FAILED_PRECONDITION. The key and the scenario in force
/// reach the handler as a <see cref="CallerContext"/> (<c>context.Caller()</c>).
/// </summary>
internal sealed class AttackerKeyInterceptor(PlatformEngine engine) : Interceptor
{
    private void Authenticate(ServerCallContext context)
    {
        var runtime = engine.Current;
        if (runtime is null) RpcErrors.FailedPrecondition("The platform has no scenario yet.");
        var key = Bearer.Read(context);
        if (string.IsNullOrEmpty(key)) RpcErrors.Unauthenticated("Missing 'authorization: Bearer <key>' metadata.");
        if (!runtime.AttackerKeys.Contains(key)) RpcErrors.Unauthenticated("Unknown key.");
        context.SetCaller(new CallerContext(key, runtime));
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }
}

/// <summary>Guards the Referee port with the operator token (compared in constant time).</summary>
internal sealed class OperatorTokenInterceptor(IOptions<PlatformOptions> options) : Interceptor
{
    private readonly byte[] _token = Encoding.UTF8.GetBytes(options.Value.OperatorToken);

    private void Authenticate(ServerCallContext context)
    {
        var presented = Bearer.Read(context);
        if (string.IsNullOrEmpty(presented)) RpcErrors.Unauthenticated("Missing 'authorization: Bearer <operator token>' metadata.");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _token))
            RpcErrors.Unauthenticated("Wrong operator token.");
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }
}
