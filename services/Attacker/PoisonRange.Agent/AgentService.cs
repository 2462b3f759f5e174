using System.Threading.Channels;
using Grpc.Core;
using PoisonRange.Agent.Loki;
using PoisonRange.Client;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Data;
using ProgressUpdate = PoisonRange.Contracts.Common.V1.Progress;

namespace PoisonRange.Agent;

using AgentBase = PoisonRange.Contracts.Attacker.V1.Agent.AgentBase;

/// <summary>
/// gRPC face of <see cref="AgentRunner"/>: ListStrategies, and Generate streaming progress then
/// the result. Bad requests → INVALID_ARGUMENT; unknown strategy → NOT_FOUND; a platform limit
/// → RESOURCE_EXHAUSTED; an unreachable platform → FAILED_PRECONDITION (the agent itself is up).
/// </summary>
public sealed class AgentService(AgentRunner runner) : AgentBase
{
    public override Task<ListStrategiesReply> ListStrategies(ListStrategiesRequest request, ServerCallContext context)
    {
        var reply = new ListStrategiesReply();
        foreach (var s in runner.Strategies.All)
            reply.Strategies.Add(new StrategyInfo { Name = s.Name, Description = s.Description });
        return Task.FromResult(reply);
    }

    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateUpdate> responseStream, ServerCallContext context)
    {
        var updates = Channel.CreateUnbounded<GenerateUpdate>(new UnboundedChannelOptions { SingleReader = true });
        var progress = new SyncProgress<AttackProgress>(p => updates.Writer.TryWrite(new GenerateUpdate
        {
            Progress = new ProgressUpdate { Phase = p.Phase, Done = p.Done, Total = p.Total, Message = p.Message },
        }));
        var run = RunAsync(request, progress, updates.Writer, context.CancellationToken);

        await foreach (var update in updates.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            await responseStream.WriteAsync(update, context.CancellationToken).ConfigureAwait(false);

        GenerateResult result;
        try
        {
            result = await run.ConfigureAwait(false);
        }
        catch (UnknownStrategyException ex)
        {
            throw new RpcException(new Status(StatusCode.NotFound, ex.Message));
        }
        catch (ArgumentException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message));
        }
        catch (PlatformLimitException ex)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ex.Message));
        }
        catch (PlatformUnavailableException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
        catch (AttackerServiceException ex)
        {
            throw new RpcException(new Status(ex.StatusCode, ex.Message));
        }
        await responseStream.WriteAsync(new GenerateUpdate { Result = result }, context.CancellationToken).ConfigureAwait(false);
    }

    private async Task<GenerateResult> RunAsync(GenerateRequest request, IProgress<AttackProgress> progress, ChannelWriter<GenerateUpdate> writer, CancellationToken ct)
    {
        try
        {
            return await runner.GenerateAsync(request, progress, ct).ConfigureAwait(false);
        }
        finally
        {
            writer.TryComplete();
        }
    }
}
