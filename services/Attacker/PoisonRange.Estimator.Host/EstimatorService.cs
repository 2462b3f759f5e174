using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Options;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Data;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Influence;
using ProtoTargetPair = PoisonRange.Contracts.Attacker.V1.TargetPair;
using TargetPair = PoisonRange.Recommenders.Influence.TargetPair;

namespace PoisonRange.Estimator;

/// <summary>The Estimator gRPC service: thin handlers over <see cref="InfluenceEstimator"/>.</summary>
public sealed class EstimatorService(EstimatorState state, IOptions<EstimatorOptions> options, ILogger<EstimatorService> logger)
    : Contracts.Attacker.V1.Estimator.EstimatorBase
{
    private readonly EstimatorOptions _options = options.Value;

    public override async Task<LoadModelsReply> LoadModels(IAsyncStreamReader<LoadModelsChunk> requestStream, ServerCallContext context)
    {
        // Map in: the training set and each model's header and checkpoint bytes, in any order of parts.
        TrainingSet? set = null;
        var uploads = new List<ModelUpload>();
        ModelHeader? header = null;
        MemoryStream? current = null;
        await foreach (var chunk in requestStream.ReadAllAsync(context.CancellationToken))
        {
            switch (chunk.ChunkCase)
            {
                case LoadModelsChunk.ChunkOneofCase.Train:
                    if (set is not null) Errors.Throw(StatusCode.InvalidArgument, "The training set was sent twice.");
                    set = chunk.Train;
                    break;
                case LoadModelsChunk.ChunkOneofCase.Model:
                    Close(header, current, uploads);
                    header = chunk.Model;
                    if (header.CheckpointSize <= 0 || header.CheckpointSize > _options.MaxCheckpointBytes)
                        Errors.Throw(StatusCode.InvalidArgument, $"Model '{header.Kind}' declares checkpoint_size {header.CheckpointSize}; it must be 1..{_options.MaxCheckpointBytes}.");
                    current = new MemoryStream((int)Math.Min(header.CheckpointSize, int.MaxValue));
                    break;
                case LoadModelsChunk.ChunkOneofCase.CheckpointData:
                    if (current is null || header is null) Errors.Throw(StatusCode.InvalidArgument, "checkpoint_data arrived before any model header.");
                    if (current.Length + chunk.CheckpointData.Length > header.CheckpointSize)
                        Errors.Throw(StatusCode.InvalidArgument, $"Model '{header.Kind}' sent more than its declared {header.CheckpointSize} checkpoint bytes.");
                    chunk.CheckpointData.WriteTo(current);
                    break;
                default:
                    Errors.Throw(StatusCode.InvalidArgument, "An empty chunk was sent.");
                    break;
            }
        }
        Close(header, current, uploads);
        if (set is null) Errors.Throw(StatusCode.InvalidArgument, "No training set was sent.");

        // Call the library, map out.
        try
        {
            var train = ModelLoader.TrainingSet(set.ItemCount, set.Sequences.Select(s => s.Items.ToArray()).ToArray());
            var models = ModelLoader.Load(uploads, train, out var loaded);
            state.Load(models, train);
            Log.Loaded(logger, models.Count, train.ToString());
            var reply = new LoadModelsReply();
            reply.Models.AddRange(loaded.Select(m => new LoadedModel { Kind = m.Kind, Weight = m.Weight, Fingerprint = m.Fingerprint, Users = m.Users, Items = m.Items }));
            return reply;
        }
        catch (ArgumentException ex)
        {
            throw Errors.Rpc(StatusCode.InvalidArgument, FirstLine(ex.Message));
        }
    }

    private static void Close(ModelHeader? header, MemoryStream? current, List<ModelUpload> uploads)
    {
        if (header is null || current is null) return;
        if (current.Length != header.CheckpointSize)
            Errors.Throw(StatusCode.InvalidArgument, $"Model '{header.Kind}' declared {header.CheckpointSize} checkpoint bytes but sent {current.Length}.");
        uploads.Add(new ModelUpload(header.Kind, header.Weight, current.ToArray()));
    }

    public override async Task BuildCache(BuildCacheRequest request, IServerStreamWriter<BuildCacheUpdate> responseStream, ServerCallContext context)
    {
        var loaded = state.Loaded ?? Errors.Throw<(IReadOnlyList<LocalModel>, InteractionDataset)>(StatusCode.FailedPrecondition, "No models are loaded; call LoadModels first.");
        if (request.Targets.Count == 0) Errors.Throw(StatusCode.InvalidArgument, "At least one target pair is needed.");
        if (request.Targets.Count > _options.MaxTargets) Errors.Throw(StatusCode.InvalidArgument, $"{request.Targets.Count} target pairs exceed the limit of {_options.MaxTargets}.");
        var lissa = Merge(_options.Lissa, request.Options);
        var targets = request.Targets.Select(t => new TargetPair(t.User, t.Item)).ToArray();
        InfluenceEstimator estimator;
        try
        {
            lissa.Validate();
            estimator = new InfluenceEstimator(loaded.Item1, loaded.Item2, targets, lissa, state.Cache, solvePerTarget: !request.SummedTargets);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            throw Errors.Rpc(StatusCode.InvalidArgument, FirstLine(ex.Message));
        }

        var channel = Channel.CreateBounded<CacheBuildProgress>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        var build = estimator.BuildCacheAsync(new ChannelProgress(channel.Writer), context.CancellationToken);
        _ = build.ContinueWith(_ => channel.Writer.TryComplete(), TaskScheduler.Default);
        try
        {
            await foreach (var p in channel.Reader.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(new BuildCacheUpdate
                {
                    Progress = new Contracts.Common.V1.Progress
                    {
                        Phase = $"lissa:{p.Kind}",
                        Done = p.Solve.Iteration,
                        Total = p.Solve.Depth,
                        Message = $"model {p.Model}/{p.Models}, repeat {p.Solve.Repeat}/{p.Solve.Repeats}, relative change {p.Solve.RelativeChange:G3}",
                    },
                }, context.CancellationToken);
            }
            var result = await build;
            state.Install(estimator);
            var stats = new BuildCacheStats { Seconds = result.Elapsed.TotalSeconds, AllConverged = result.AllConverged };
            foreach (var m in result.Models)
                stats.Models.Add(new ModelSolveStats
                {
                    Kind = m.Kind,
                    Weight = m.Weight,
                    Parameters = m.Parameters,
                    CacheHit = m.CacheHit,
                    Status = m.Result.Status.ToString(),
                    Iterations = m.Result.Iterations,
                    RelativeChange = m.Result.RelativeChange,
                    Seconds = m.Result.Elapsed.TotalSeconds,
                });
            await responseStream.WriteAsync(new BuildCacheUpdate { Stats = stats }, context.CancellationToken);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            estimator.Dispose();
            throw Errors.Rpc(StatusCode.Cancelled, "BuildCache was cancelled.");
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            estimator.Dispose();
            throw Errors.Rpc(StatusCode.InvalidArgument, FirstLine(ex.Message));
        }
    }

    public override Task<ScoreProfilesReply> ScoreProfiles(ScoreProfilesRequest request, ServerCallContext context)
    {
        var estimator = RequireEstimator();
        if (request.Profiles.Count > _options.MaxProfilesPerCall)
            Errors.Throw(StatusCode.InvalidArgument, $"{request.Profiles.Count} profiles exceed the limit of {_options.MaxProfilesPerCall} per call.");
        var profiles = request.Profiles.Select(p => p.Items.ToArray()).ToArray();
        try
        {
            var reply = new ScoreProfilesReply();
            reply.Scores.AddRange(estimator.ScoreProfiles(profiles));
            return Task.FromResult(reply);
        }
        catch (Exception ex) when (ex is ArgumentException)
        {
            throw Errors.Rpc(StatusCode.InvalidArgument, FirstLine(ex.Message));
        }
        catch (ObjectDisposedException)
        {
            throw Errors.Rpc(StatusCode.Unavailable, "The estimator was replaced while scoring; retry.");
        }
    }

    public override Task<UserRemovalInfluenceReply> UserRemovalInfluence(UserRemovalInfluenceRequest request, ServerCallContext context)
    {
        var estimator = RequireEstimator();
        try
        {
            return Task.FromResult(new UserRemovalInfluenceReply { Influence = estimator.UserRemovalInfluence(request.User, request.TargetItem) });
        }
        catch (Exception ex) when (ex is ArgumentException)
        {
            throw Errors.Rpc(StatusCode.InvalidArgument, FirstLine(ex.Message));
        }
        catch (ObjectDisposedException)
        {
            throw Errors.Rpc(StatusCode.Unavailable, "The estimator was replaced; retry.");
        }
        catch (InvalidOperationException ex)
        {
            throw Errors.Rpc(StatusCode.FailedPrecondition, FirstLine(ex.Message));
        }
    }

    private InfluenceEstimator RequireEstimator()
        => state.Current ?? Errors.Throw<InfluenceEstimator>(StatusCode.FailedPrecondition, "The cache is not built; call BuildCache first.");

    private static LissaOptions Merge(LissaOptions defaults, LissaSettings? settings)
    {
        if (settings is null) return defaults;
        return defaults with
        {
            Damping = settings.HasDamping ? settings.Damping : defaults.Damping,
            Scale = settings.HasScale ? settings.Scale : defaults.Scale,
            Depth = settings.HasDepth ? settings.Depth : defaults.Depth,
            Repeats = settings.HasRepeats ? settings.Repeats : defaults.Repeats,
            Tolerance = settings.HasTolerance ? settings.Tolerance : defaults.Tolerance,
            BatchSize = settings.HasBatchSize ? settings.BatchSize : defaults.BatchSize,
            Seed = settings.HasSeed ? settings.Seed : defaults.Seed,
        };
    }

    /// <summary>ArgumentException appends "(Parameter 'x')" and value lines; a status keeps the first line.</summary>
    private static string FirstLine(string message)
    {
        int newline = message.IndexOf('\n');
        var line = newline < 0 ? message : message[..newline].TrimEnd('\r');
        int parameter = line.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return parameter < 0 ? line : line[..parameter];
    }

    private sealed class ChannelProgress(ChannelWriter<CacheBuildProgress> writer) : IProgress<CacheBuildProgress>
    {
        public void Report(CacheBuildProgress value) => writer.TryWrite(value);
    }

    private static class Errors
    {
        public static RpcException Rpc(StatusCode code, string message) => new(new Status(code, message));

        [DoesNotReturn]
        public static void Throw(StatusCode code, string message) => throw Rpc(code, message);

        [DoesNotReturn]
        public static T Throw<T>(StatusCode code, string message) => throw Rpc(code, message);
    }
}

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} local models over {Train}.")]
    public static partial void Loaded(ILogger logger, int count, string train);
}
