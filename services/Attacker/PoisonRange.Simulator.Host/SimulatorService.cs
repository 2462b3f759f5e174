using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PoisonRange.Client;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Data;
using PoisonRange.Recommenders;
using CommonProgress = PoisonRange.Contracts.Common.V1.Progress;

namespace PoisonRange.Simulator;

/// <summary>The Simulator gRPC service: thin handlers over <see cref="SimulatorBuilder"/> and <see cref="SimulatorState"/>.</summary>
public sealed partial class SimulatorService(
    PlatformClient client,
    SimulatorState state,
    IOptions<SimulatorOptions> defaults,
    ILogger<SimulatorService> logger) : Contracts.Attacker.V1.Simulator.SimulatorBase
{
    public override async Task Build(BuildRequest request, IServerStreamWriter<BuildUpdate> responseStream, ServerCallContext context)
    {
        SimulatorOptions options;
        try
        {
            options = SimulatorWire.ToOptions(request, defaults.Value);
            // A rebuild never trains on the previous build's probe accounts.
            if (state.TryRead((ensemble, _) => ensemble.ProbeAccounts, out var previous)) options.ExcludeUsers.UnionWith(previous);
            options.Validate();
            foreach (var spec in options.EffectiveModels()) RecommenderFactory.Describe(spec.Kind);
        }
        catch (ArgumentException ex)
        {
            throw Fail(StatusCode.InvalidArgument, ex.Message);
        }
        if (!state.TryBeginBuild()) throw Fail(StatusCode.Aborted, "A simulator build is running already; wait for it to finish.");
        try
        {
            var updates = Channel.CreateUnbounded<SimulatorProgress>(new UnboundedChannelOptions { SingleReader = true });
            var progress = new SyncProgress<SimulatorProgress>(p => updates.Writer.TryWrite(p));
            var clock = Stopwatch.StartNew();
            var build = Task.Run(async () =>
            {
                try
                {
                    return await SimulatorBuilder.BuildAsync(client, options, progress, context.CancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    updates.Writer.TryComplete();
                }
            });
            try
            {
                await foreach (var p in updates.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
                    await responseStream.WriteAsync(new BuildUpdate { Progress = new CommonProgress { Phase = p.Phase, Done = p.Done, Total = p.Total, Message = p.Message } }).ConfigureAwait(false);
            }
            catch
            {
                // The caller went away: let the build stop (it shares the call's token) before freeing the slot.
                try { (await build.ConfigureAwait(false)).Dispose(); } catch (Exception) { }
                throw;
            }

            SimulatorEnsemble ensemble;
            try
            {
                ensemble = await build.ConfigureAwait(false);
            }
            catch (Exception ex) when (Map(ex, context) is { } rpc)
            {
                throw rpc;
            }
            var result = SimulatorWire.ToResult(ensemble, clock.Elapsed.TotalSeconds);
            state.Publish(ensemble, result);
            LogBuilt(logger, ensemble.Models.Count, result.Queries, result.Actions, result.Message);
            await responseStream.WriteAsync(new BuildUpdate { Result = result }).ConfigureAwait(false);
        }
        finally
        {
            state.EndBuild();
        }
    }

    public override Task<RankReply> Rank(RankRequest request, ServerCallContext context)
    {
        if (request.K < 0) throw Fail(StatusCode.InvalidArgument, $"k must be positive, got {request.K}.");
        var reply = Read((ensemble, _) =>
        {
            int[] history;
            try
            {
                history = ensemble.ToInternal(request.History);
            }
            catch (KeyNotFoundException ex)
            {
                throw Fail(StatusCode.NotFound, ex.Message);
            }
            var ranking = ensemble.RankHistory(history, request.K == 0 ? ensemble.K : request.K);
            var items = ensemble.Train.ItemIds;
            var r = new RankReply();
            r.ItemIds.AddRange(ranking.Ensemble.Select(i => items[i]));
            for (int m = 0; m < ensemble.Models.Count; m++)
            {
                var model = new ModelRanking { Kind = ensemble.Models[m].Kind, Weight = ensemble.Models[m].Weight };
                model.ItemIds.AddRange(ranking.PerModel[m].Select(i => items[i]));
                r.Models.Add(model);
            }
            return r;
        });
        return Task.FromResult(reply);
    }

    public override Task<BuildResult> GetWeights(GetWeightsRequest request, ServerCallContext context)
        => Task.FromResult(Read((_, result) => result.Clone()));

    public override async Task ExportModels(ExportModelsRequest request, IServerStreamWriter<ExportChunk> responseStream, ServerCallContext context)
    {
        if (request.ChunkSize < 0) throw Fail(StatusCode.InvalidArgument, $"chunk_size must not be negative, got {request.ChunkSize}.");
        var snapshot = Read((ensemble, _) => ensemble.ToSnapshot());
        foreach (var chunk in SimulatorWire.ExportChunks(snapshot, request.ChunkSize))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            await responseStream.WriteAsync(chunk).ConfigureAwait(false);
        }
    }

    public override async Task Retrain(RetrainModelRequest request, IServerStreamWriter<ExportChunk> responseStream, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Kind)) throw Fail(StatusCode.InvalidArgument, "kind is required.");
        if (request.ChunkSize < 0) throw Fail(StatusCode.InvalidArgument, $"chunk_size must not be negative, got {request.ChunkSize}.");
        var fakes = request.FakeProfiles.Select(p => (IReadOnlyList<string>)p.ItemIds).ToArray();
        ModelCheckpoint checkpoint;
        try
        {
            checkpoint = await Task.Run(() => Read((ensemble, _) => ensemble.RetrainCheckpoint(request.Kind, fakes, context.CancellationToken)), context.CancellationToken).ConfigureAwait(false);
        }
        catch (KeyNotFoundException ex)
        {
            throw Fail(StatusCode.NotFound, ex.Message);
        }
        catch (ArgumentException ex)
        {
            throw Fail(StatusCode.InvalidArgument, ex.Message);
        }
        foreach (var chunk in SimulatorWire.ModelChunks(0, checkpoint, request.ChunkSize))
            await responseStream.WriteAsync(chunk).ConfigureAwait(false);
    }

    private T Read<T>(Func<SimulatorEnsemble, BuildResult, T> read)
        => state.TryRead(read, out var value)
            ? value
            : throw Fail(StatusCode.FailedPrecondition, "No simulator has been built yet: call Build first.");

    private static RpcException? Map(Exception ex, ServerCallContext context) => ex switch
    {
        OperationCanceledException when context.CancellationToken.IsCancellationRequested => Fail(StatusCode.Cancelled, "The build was cancelled."),
        PlatformLimitException e => Fail(StatusCode.ResourceExhausted, e.Message),
        PlatformUnavailableException e => Fail(StatusCode.Unavailable, e.Message),
        ArgumentException e => Fail(StatusCode.InvalidArgument, e.Message),
        InvalidOperationException e => Fail(StatusCode.FailedPrecondition, e.Message),
        RpcException e => Fail(e.StatusCode, "Platform call failed: " + e.Status.Detail),
        _ => null,
    };

    private static RpcException Fail(StatusCode code, string message) => new(new Status(code, OneLine(message)));

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulator built: {Models} models, {Queries} queries, {Actions} actions; {Message}")]
    private static partial void LogBuilt(ILogger logger, int models, long queries, long actions, string message);
}
