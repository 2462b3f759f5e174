using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Grpc.Core;
using PoisonRange.Contracts.Attacker.V1;
using ProgressUpdate = PoisonRange.Contracts.Common.V1.Progress;

namespace PoisonRange.Injector;

using InjectorBase = PoisonRange.Contracts.Attacker.V1.Injector.InjectorBase;

/// <summary>
/// gRPC face of <see cref="InjectionRunner"/>: Inject streams progress and ends with the job's
/// result (state <c>completed</c> or <c>failed</c> with the reason); GetJob reads the stored result.
/// </summary>
public sealed class InjectorService(InjectionRunner runner) : InjectorBase
{
    public override async Task Inject(InjectRequest request, IServerStreamWriter<InjectUpdate> responseStream, ServerCallContext context)
    {
        var spec = new InjectionJobSpec(request.JobId, request.Profiles, request.BatchSize, request.MaxConcurrentProfiles);
        var updates = Channel.CreateUnbounded<InjectUpdate>(new UnboundedChannelOptions { SingleReader = true });
        var progress = new ChannelProgress(updates.Writer);
        var run = RunAsync(spec, progress, updates.Writer, context.CancellationToken);

        await foreach (var update in updates.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            await responseStream.WriteAsync(update, context.CancellationToken).ConfigureAwait(false);

        InjectResult result;
        try
        {
            result = await run.ConfigureAwait(false);
        }
        catch (InjectionRequestException ex)
        {
            throw Errors.Rpc(StatusCode.InvalidArgument, ex.Message);
        }
        catch (InjectionJobNotFoundException ex)
        {
            throw Errors.Rpc(StatusCode.NotFound, ex.Message);
        }
        catch (InjectionConflictException ex)
        {
            throw Errors.Rpc(StatusCode.FailedPrecondition, ex.Message);
        }
        await responseStream.WriteAsync(new InjectUpdate { Result = result }, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<InjectResult> GetJob(GetJobRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.JobId)) Errors.Throw(StatusCode.InvalidArgument, "job_id is required.");
        return await runner.GetJobAsync(request.JobId, context.CancellationToken).ConfigureAwait(false)
               ?? Errors.Throw<InjectResult>(StatusCode.NotFound, $"Injection job '{request.JobId}' is not stored.");
    }

    private async Task<InjectResult> RunAsync(InjectionJobSpec spec, ChannelProgress progress, ChannelWriter<InjectUpdate> writer, CancellationToken ct)
    {
        try
        {
            return await runner.RunAsync(spec, progress, ct).ConfigureAwait(false);
        }
        finally
        {
            writer.TryComplete();
        }
    }

    /// <summary>Progress reports from any thread, queued in order for the single response writer.</summary>
    private sealed class ChannelProgress(ChannelWriter<InjectUpdate> writer) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value) => writer.TryWrite(new InjectUpdate { Progress = value });
    }

    private static class Errors
    {
        public static RpcException Rpc(StatusCode code, string message) => new(new Status(code, message));

        [DoesNotReturn]
        public static void Throw(StatusCode code, string message) => throw new RpcException(new Status(code, message));

        [DoesNotReturn]
        public static T Throw<T>(StatusCode code, string message) => throw new RpcException(new Status(code, message));
    }
}
