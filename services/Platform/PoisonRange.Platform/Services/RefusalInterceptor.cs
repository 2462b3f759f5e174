using Grpc.Core;
using Grpc.Core.Interceptors;
using PoisonRange.Platform.Engine;

namespace PoisonRange.Platform.Services;

/// <summary>
/// Turns the engine's refusals into the contract's status codes (<see cref="RpcErrors.Refused"/>),
/// so handlers only map in, call the engine and map out.
/// </summary>
internal sealed class RefusalInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RefusedException e)
        {
            RpcErrors.Refused(e);
            throw;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (RefusedException e)
        {
            RpcErrors.Refused(e);
            throw;
        }
    }
}
