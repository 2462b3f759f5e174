using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Data;
using PoisonRange.Platform.Diagnostics;
using PoisonRange.Platform.Stores;
using PoisonRange.Recommenders;

namespace PoisonRange.Platform.Engine;

/// <summary>
/// The black box: the configured scenario, its data, the serving model and the retrain schedule,
/// and every rule of the Platform and Referee APIs. gRPC handlers map their messages in, call one
/// method here and map the result (a plain record) out; refusals leave as <see cref="RefusedException"/>.
/// </summary>
public sealed partial class PlatformEngine : IAsyncDisposable
{
    private readonly IPlatformStore _store;
    private readonly PlatformOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PlatformEngine> _log;
    private readonly PlatformMetrics _metrics;
    private readonly SemaphoreSlim _trainLock = new(1, 1);
    private readonly SemaphoreSlim _configureLock = new(1, 1);
    private readonly CancellationTokenSource _shutdown = new();
    private ScenarioRuntime? _runtime;
    private CancellationTokenSource? _schedulerCts;
    private Task? _scheduler;
    private volatile bool _training;
    private SeededRandom _jitter = new(1);
    private int _disposed;

    public PlatformEngine(IPlatformStore store, IOptions<PlatformOptions> options, TimeProvider time, ILogger<PlatformEngine> log, PlatformMetrics metrics)
    {
        _store = store;
        _options = options.Value;
        _time = time;
        _log = log;
        _metrics = metrics;
        metrics.ObserveServingModel(() => ServingNow()?.Sequence);
    }

    /// <summary>The running scenario, or null before the first Configure (and while one replaces it).</summary>
    public ScenarioRuntime? Current => Volatile.Read(ref _runtime);

    public bool IsTraining => _training;

    /// <summary>The meter this engine records on.</summary>
    internal PlatformMetrics Instruments => _metrics;

    /// <summary>Whether a model answers recommendations now (the platform's readiness).</summary>
    public bool IsServing => ServingNow() is not null;

    /// <summary>The serving model's version ("m3"), or null while none serves.</summary>
    public string? ServingVersion => ServingNow()?.Version;

    private ServingModel? ServingNow() => Current is { HasServing: true } runtime ? runtime.Serving : null;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The scenario in force with its serving model; refused as not configured before the first one.</summary>
    private ScenarioRuntime Running() =>
        Current is { HasServing: true } runtime ? runtime : throw new RefusedException(Refusal.NotConfigured, "No scenario is configured.");

    /// <summary>
    /// Restores the scenario and serving model kept in the store (after a restart), or applies
    /// the configured initial scenario when the store holds none.
    /// </summary>
    public async Task InitializeAsync(CancellationToken ct)
    {
        var json = await _store.GetScenarioAsync(ct);
        if (json is not null)
        {
            var scenario = JsonParser.Default.Parse<Scenario>(json);
            var runtime = BuildRuntime(scenario);
            var checkpoint = await _store.LoadModelAsync(ct);
            if (checkpoint is not null)
            {
                runtime.Serving = RestoreServing(runtime, checkpoint);
                runtime.Retrains = runtime.Serving.Sequence;
                LogRestored(_log, scenario.Name, runtime.Serving.Version);
                Activate(runtime);
            }
            else
            {
                Activate(runtime, startScheduler: false);
                await TrainAsync(runtime, ct);
                StartScheduler(runtime);
            }
            return;
        }
        if (!string.IsNullOrWhiteSpace(_options.InitialScenario))
            await ConfigureAsync(JsonParser.Default.Parse<Scenario>(_options.InitialScenario), ct);
    }

    /// <summary>Replaces the scenario: clears the store, loads the data, trains the first model.</summary>
    public async Task<ConfiguredScenario> ConfigureAsync(Scenario requested, CancellationToken ct)
    {
        var scenario = ScenarioSettings.Resolve(requested);
        await _configureLock.WaitAsync(ct);
        try
        {
            StopScheduler();
            var runtime = BuildRuntime(scenario);
            await _store.ResetAsync(JsonFormatter.Default.Format(scenario), ct);
            var previous = Interlocked.Exchange(ref _runtime, null);
            if (previous is { Retrains: > 0 }) RetireLater(previous.Serving);
            var serving = await TrainAsync(runtime, ct);
            Activate(runtime);
            return new ConfiguredScenario(scenario.Name, runtime.Base.UserCount, runtime.Base.ItemCount,
                runtime.Base.InteractionCount, serving.Version, serving.TrainSeconds);
        }
        finally
        {
            _configureLock.Release();
        }
    }

    /// <summary>Retrains on everything recorded so far and returns when the new model serves.</summary>
    public async Task<ServingModel> RetrainAsync(CancellationToken ct) => await TrainAsync(Running(), ct);

    private ScenarioRuntime BuildRuntime(Scenario scenario)
    {
        InteractionDataset data;
        try
        {
            data = LoadDataset(scenario.Dataset, scenario.Seed);
        }
        catch (Exception ex) when (ex is DatasetFormatException or IOException or ArgumentException or InvalidOperationException)
        {
            throw new ScenarioException($"dataset '{scenario.Dataset.Source}': {ex.Message}", ex);
        }
        if (scenario.Dataset.MinInteractions > 0)
            data = KCore.Filter(data, scenario.Dataset.MinInteractions, scenario.Dataset.MinInteractions);
        if (scenario.Dataset.LeaveLastTwoOut)
            data = Splits.LeaveLastTwoOut(data).Train;
        if (data.UserCount == 0 || data.ItemCount == 0)
            throw new ScenarioException($"dataset '{scenario.Dataset.Source}' has no users or items left after filtering.");

        var view = data;
        if (scenario.Knowledge.UserFraction < 1)
            view = KnowledgeViews.SampleUsers(view, scenario.Knowledge.UserFraction, scenario.Seed ^ 0x5EED_0001UL);
        if (scenario.Knowledge.InteractionFraction < 1)
            view = KnowledgeViews.SampleInteractions(view, scenario.Knowledge.InteractionFraction, scenario.Seed ^ 0x5EED_0002UL);

        // Validate the victim before anything is reset.
        try
        {
            using var probe = RecommenderFactory.Create(scenario.Victim.Kind, scenario.Victim.HyperParameters, scenario.Seed, 1);
        }
        catch (ArgumentException ex)
        {
            throw new ScenarioException($"victim: {ex.Message}", ex);
        }
        return new ScenarioRuntime(scenario, data, view);
    }

    private InteractionDataset LoadDataset(DatasetSpec spec, ulong seed)
    {
        if (string.Equals(spec.Source, "synthetic", StringComparison.OrdinalIgnoreCase))
        {
            var options = new SyntheticOptions { Seed = seed };
            var syn = spec.Synthetic;
            if (syn.Users > 0) options = options with { Users = syn.Users };
            if (syn.Items > 0) options = options with { Items = syn.Items };
            if (syn.Rank > 0) options = options with { Rank = syn.Rank };
            if (syn.MeanLength > 0) options = options with { MeanLength = syn.MeanLength };
            return SyntheticGenerator.Generate(options);
        }
        var format = spec.Format.ToLowerInvariant() switch
        {
            "" or "auto" => DatasetFormat.Auto,
            "movielens" => DatasetFormat.MovieLens,
            "delimited" => DatasetFormat.Delimited,
            "recbole" => DatasetFormat.RecBole,
            "sequence" => DatasetFormat.Sequence,
            _ => throw new ScenarioException($"dataset.format '{spec.Format}' is not one of auto, movielens, delimited, recbole, sequence."),
        };
        if (format == DatasetFormat.Auto)
            return DatasetCatalog.Load(spec.Source, _options.DataDirectory);
        var reference = DatasetCatalog.Resolve(spec.Source, _options.DataDirectory);
        return DatasetLoader.Load(reference.Path, format, reference.ToLoadOptions());
    }

    private void Activate(ScenarioRuntime runtime, bool startScheduler = true)
    {
        Volatile.Write(ref _runtime, runtime);
        if (startScheduler) StartScheduler(runtime);
    }

    /// <summary>Trains a new model on the base data plus every account's interactions, saves it, and swaps it in.</summary>
    private async Task<ServingModel> TrainAsync(ScenarioRuntime runtime, CancellationToken ct)
    {
        await _trainLock.WaitAsync(ct);
        _training = true;
        try
        {
            var accounts = await _store.GetAllInteractionsAsync(ct);
            var counter = await _store.GetInteractionCountAsync(ct);
            var (train, accountUsers) = TrainingData.Build(runtime.Base, accounts, runtime.Scenario.Limits.MaxRating);
            var scenario = runtime.Scenario;
            var model = RecommenderFactory.Create(scenario.Victim.Kind, scenario.Victim.HyperParameters, scenario.Seed, TrainThreads);
            var sw = Stopwatch.StartNew();
            try
            {
                await Task.Run(() => model.Fit(train, null, ct), ct);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            var seconds = sw.Elapsed.TotalSeconds;
            var sequence = runtime.Retrains + 1;
            var version = $"m{sequence}";
            var trainedAt = _time.GetUtcNow();
            var serving = new ServingModel(model, version, sequence, accountUsers, counter, trainedAt, seconds);

            using (var buffer = new MemoryStream())
            {
                model.Save(buffer);
                var metadata = JsonSerializer.Serialize(new CheckpointMetadata(sequence, [.. accountUsers.OrderBy(p => p.Value).Select(p => p.Key)]));
                await _store.SaveModelAsync(new ModelCheckpoint(version, buffer.ToArray(), trainedAt.ToUnixTimeMilliseconds(), counter, seconds, metadata), ct);
            }

            var previous = runtime.Retrains == 0 ? null : runtime.Serving;
            runtime.Serving = serving;
            _metrics.Retrained(seconds);
            runtime.Retrains = sequence;
            ScheduleNext(runtime, counter, trainedAt);
            if (previous is not null) RetireLater(previous);
            LogTrained(_log, version, train.UserCount, train.InteractionCount, seconds);
            return serving;
        }
        catch (Exception e)
        {
            _metrics.RetrainFailed(cancelled: e is OperationCanceledException);
            throw;
        }
        finally
        {
            _training = false;
            _trainLock.Release();
        }
    }

    private int TrainThreads => _options.TrainThreads > 0 ? _options.TrainThreads : Environment.ProcessorCount;

    private ServingModel RestoreServing(ScenarioRuntime runtime, ModelCheckpoint checkpoint)
    {
        var metadata = JsonSerializer.Deserialize<CheckpointMetadata>(checkpoint.MetadataJson)
                       ?? throw new InvalidOperationException("The stored model checkpoint has no metadata.");
        using var stream = new MemoryStream(checkpoint.Payload, writable: false);
        var model = RecommenderFactory.Load(stream);
        var accountUsers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < metadata.Accounts.Length; i++) accountUsers[metadata.Accounts[i]] = runtime.Base.UserCount + i;
        var trainedAt = DateTimeOffset.FromUnixTimeMilliseconds(checkpoint.TrainedUnixMs);
        var serving = new ServingModel(model, checkpoint.Version, metadata.Sequence, accountUsers, checkpoint.InteractionCount, trainedAt, checkpoint.TrainSeconds);
        ScheduleNext(runtime, checkpoint.InteractionCount, trainedAt);
        return serving;
    }

    private void RetireLater(ServingModel previous)
    {
        // Requests in flight may still score with the previous model: free it once they are surely done.
        _ = Task.Delay(TimeSpan.FromSeconds(10), _time).ContinueWith(_ => previous.Model.Dispose(), TaskScheduler.Default);
    }

    private sealed record CheckpointMetadata(int Sequence, string[] Accounts);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        StopScheduler();
        await _shutdown.CancelAsync();
        Current?.Serving.Model.Dispose();
        _shutdown.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored scenario {Scenario} with model {Version} from the store")]
    private static partial void LogRestored(ILogger logger, string scenario, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Version} serves: {Users} users, {Interactions} interactions, trained in {Seconds:F2} s")]
    private static partial void LogTrained(ILogger logger, string version, int users, long interactions, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduled retrain failed")]
    private static partial void LogRetrainFailed(ILogger logger, Exception ex);
}
