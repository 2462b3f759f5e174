using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Data;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Influence;

namespace PoisonRange.Agent.Loki;

/// <summary>
/// The whole black-box LOKI attack (§3) as the agent's "loki" strategy, through the attacker's
/// services: the simulator service crawls the platform, trains the local models and fits their
/// weights with a counted probe budget (§3.2, its <c>Build</c>); its checkpoints and training set
/// stream through the agent into the estimator service (<c>ExportModels</c> → <c>LoadModels</c>),
/// which caches s_test for every (target user, target item) pair over the models it can
/// differentiate (§3.3, <c>BuildCache</c>); the DQN agent trains on the estimator's predicted
/// score change as reward (§3.4, batched <c>ScoreProfiles</c>) and generates the fake profiles
/// with the trained policy. Each phase reports progress ("simulator", "estimator", "groups",
/// "train", "generate") and its wall-clock seconds in <see cref="AttackContext.Notes"/>.
/// </summary>
/// <remarks>
/// The agent works in its own crawled view; the simulator in its own crawl. The two are joined
/// by platform ids: target users and items and every scored profile are mapped from the view's
/// indices to the simulator's training-set indices (<see cref="TrainingSetMap"/>). The
/// checkpoints pass through the agent rather than being pulled by the estimator, so that the
/// estimator needs no simulator address and the agent decides which models enter the reward:
/// LOKI's four kinds (BPR-MF, FPMC, GRU4Rec, TransRec) all have an influence view; a local model
/// of another kind stays in the simulator (it shapes the weights of the others through the
/// Kendall fit) but is not sent, the remaining weights are renormalised to sum to 1 and a note
/// says so. With <see cref="LokiOptions.AnchorRecentItems"/> the target users' most recent items
/// form a group of their own (an extension beyond the paper's action space). Parameters (besides
/// the agent's <see cref="LokiOptions.ParameterNames"/>): see <see cref="PipelineParameterNames"/>.
/// </remarks>
public sealed class LokiPipelineStrategy(LokiServices services, LokiOptions? defaults = null) : IAttackStrategy
{
    /// <summary>Target users the attack draws from the view when the request names none.</summary>
    public const int DefaultTargetUsers = 20;

    private const ulong TargetUserSalt = 0x4C4F4B4954555352UL;

    private readonly LokiServices _services = services ?? throw new ArgumentNullException(nameof(services));

    public string Name => LokiTrainer.StrategyName;

    public string Description =>
        "LOKI (Zhang et al.): simulator ensemble fitted with probe queries, influence-function reward, DQN agent over item groups.";

    /// <summary>Parameters of the simulator and estimator phases.</summary>
    public static IReadOnlyList<string> PipelineParameterNames { get; } =
    [
        "loki_local_models", "loki_model_epochs", "loki_probe_queries", "loki_probe_fraction", "loki_holdout_fraction",
        "loki_lissa_depth", "loki_lissa_damping", "loki_lissa_scale", "loki_lissa_batch", "loki_lissa_repeats", "loki_lissa_tolerance",
        "loki_threads",
    ];

    public async Task<IReadOnlyList<FakeProfileSpec>> GenerateAsync(AttackContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Validate();
        var options = LokiOptions.FromContext(context, defaults, PipelineParameterNames);
        var buildRequest = BuildRequestFrom(context);
        var lissa = LissaSettingsFrom(context);
        var progress = context.Progress;
        var notes = context.Notes;
        if (context.FakeUsers == 0) return [];

        // 1. The simulator service crawls, trains, probes and fits the weights.
        var clock = Stopwatch.StartNew();
        var view = context.View;
        var built = await BuildSimulatorAsync(buildRequest, progress, cancellationToken).ConfigureAwait(false);
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"loki simulator: {string.Join(", ", built.Models.Select(m => $"{m.Kind} {m.Weight:0.000}"))}; {built.Queries} queries, {built.Accounts} probe accounts; {built.Message}"));
        notes.AddDelegatedSpend(built.Queries, built.CrawlPages);
        if (built.Degraded) notes.Add($"loki simulator: probe budget degraded: {built.SpendMessage}");
        notes.AddPhase("simulator", clock.Elapsed.TotalSeconds);

        // 2. The estimator service over the differentiable models, weights renormalised.
        clock.Restart();
        var differentiable = ReweightForInfluence(built.Models, out var skippedNote);
        if (skippedNote is not null)
        {
            notes.Add(skippedNote);
            progress?.Report(new AttackProgress("estimator", 0, 1, skippedNote));
        }
        var map = await TransferModelsAsync(built.Models, differentiable, cancellationToken).ConfigureAwait(false);
        var join = map.Join(view);
        if (join.MissingItems > 0 || join.MissingUsers > 0)
            notes.Add($"loki estimator: of the view's {view.ItemCount} items and {view.UserCount} users, {join.MissingItems} items and {join.MissingUsers} users are not in the simulator's training set ({map.ItemIds.Count} items, {map.UserCount} users) and do not enter the reward");
        var targetUsers = context.TargetUsers.Count > 0 ? context.TargetUsers.ToArray() : DrawTargetUsers(view, context.Seed);
        if (context.TargetUsers.Count == 0)
            notes.Add($"loki estimator: no target users given; {targetUsers.Length} users with a public history drawn with the seed");
        var pairs = TargetPairs(join, view, targetUsers, context.TargetItems, notes);
        var cache = await BuildCacheAsync(pairs, lissa, differentiable.Count, progress, cancellationToken).ConfigureAwait(false);
        foreach (var m in cache.Models.Where(m => m.Status != "Converged"))
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"loki estimator: LiSSA for {m.Kind} {(m.Status == "Diverged" ? "diverged" : "stopped without converging")} after {m.Iterations} steps (relative change {m.RelativeChange:0.###e0}); its reward term is approximate"));
        notes.AddPhase("estimator", clock.Elapsed.TotalSeconds);
        progress?.Report(new AttackProgress("estimator", 1, 1, string.Create(CultureInfo.InvariantCulture,
            $"influence cache for {pairs.Count} pairs × {differentiable.Count} models in {cache.Seconds:0.0} s")));

        // 3. Groups, 4. training, 5. generation.
        clock.Restart();
        var reward = new EstimatorProfileReward(_services, join.ViewToTrainingItem);
        progress?.Report(new AttackProgress("groups", 0, 1, $"loki: grouping {view.ItemCount} items into {options.Grouping.Groups} groups + targets"));
        var anchors = options.AnchorItems(view, targetUsers, context.TargetItems);
        if (anchors.Count > 0) notes.Add($"loki groups: {anchors.Count} anchor items (up to {options.AnchorRecentItems} most recent of each of {targetUsers.Length} target users) in a group of their own");
        var groups = await Task.Run(() => ItemGrouping.Compute(view, context.TargetItems, options.Grouping, cancellationToken, anchors), cancellationToken).ConfigureAwait(false);
        progress?.Report(new AttackProgress("groups", 1, 1, $"loki: {groups.Count} groups"));
        notes.AddPhase("groups", clock.Elapsed.TotalSeconds);

        clock.Restart();
        using var trainer = new LokiTrainer(view, context.TargetItems, reward, options, groups);
        var training = await Task.Run(() => trainer.TrainAsync(progress, cancellationToken), cancellationToken).ConfigureAwait(false);
        var last = training.History.Count > 0 ? training.History[^1] : null;
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"loki agent: {training.Episodes} episodes in {training.Rounds} rounds, {training.GradientSteps} gradient steps, stopped by {(training.StopReason == LokiStopReason.TimeBudget ? "the time budget" : "the episode budget")}{(last is null ? "" : $"; last round mean reward {last.MeanReward:0.###e0}, target share {last.TargetShare:0.00}")}"));
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"loki reward: {reward.Profiles} profiles in {reward.Calls} ScoreProfiles calls, {reward.Seconds:0.00} s"));
        notes.AddPhase("train", clock.Elapsed.TotalSeconds);

        clock.Restart();
        var profiles = trainer.GenerateProfiles(context, cancellationToken);
        notes.AddPhase("generate", clock.Elapsed.TotalSeconds);
        return profiles;
    }

    /// <summary>Runs the simulator's Build, relaying its progress; the result with the weights.</summary>
    private async Task<BuildResult> BuildSimulatorAsync(BuildRequest request, IProgress<AttackProgress>? progress, CancellationToken ct)
    {
        var client = _services.SimulatorClient;
        return await LokiServices.CallAsync(AttackerServiceOptions.SimulatorSection, _services.Simulator, async () =>
        {
            using var call = client.Build(request, deadline: LokiServices.LongDeadline(_services.Simulator), cancellationToken: ct);
            BuildResult? result = null;
            await foreach (var update in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (update.UpdateCase == BuildUpdate.UpdateOneofCase.Result) result = update.Result;
                else if (update.Progress is { } p) progress?.Report(new AttackProgress("simulator", p.Done, p.Total, $"{p.Phase}: {p.Message}"));
            }
            return result ?? throw new AttackerServiceException(StatusCode.Internal, $"The simulator at {_services.Simulator.Address} ended Build without a result.");
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Streams the simulator's export into the estimator's LoadModels: the checkpoints of the
    /// differentiable models chunk by chunk as they arrive (with their renormalised weights), then
    /// the training set. Returns the training set's platform ids, which the view is joined on.
    /// </summary>
    private async Task<TrainingSetMap> TransferModelsAsync(IReadOnlyList<ModelWeight> ensemble, IReadOnlyList<ModelWeight> differentiable, CancellationToken ct)
    {
        var simulator = _services.SimulatorClient;
        var estimator = _services.EstimatorClient;
        using var load = await LokiServices.CallAsync(AttackerServiceOptions.EstimatorSection, _services.Estimator,
            () => Task.FromResult(estimator.LoadModels(deadline: LokiServices.LongDeadline(_services.Estimator), cancellationToken: ct)), ct).ConfigureAwait(false);
        var reweighted = differentiable.ToDictionary(m => m.Kind, m => m.Weight, StringComparer.OrdinalIgnoreCase);
        TrainingSetHeader? header = null;
        var users = new List<TrainingUser>();
        int currentModel = -1;
        bool forwarding = false;
        await LokiServices.CallAsync(AttackerServiceOptions.SimulatorSection, _services.Simulator, async () =>
        {
            using var export = simulator.ExportModels(new ExportModelsRequest(), deadline: LokiServices.LongDeadline(_services.Simulator), cancellationToken: ct);
            await foreach (var chunk in export.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                switch (chunk.ChunkCase)
                {
                    case ExportChunk.ChunkOneofCase.Model:
                        var model = chunk.Model;
                        if (model.Index != currentModel)
                        {
                            currentModel = model.Index;
                            if (model.Index >= ensemble.Count || !string.Equals(ensemble[model.Index].Kind, model.Kind, StringComparison.OrdinalIgnoreCase))
                                throw new AttackerServiceException(StatusCode.Internal,
                                    $"The simulator at {_services.Simulator.Address} exported model {model.Index} ({model.Kind}), which its Build result does not list.");
                            forwarding = reweighted.TryGetValue(model.Kind, out var weight);
                            if (forwarding)
                                await SendAsync(load, new LoadModelsChunk { Model = new ModelHeader { Kind = model.Kind, Weight = weight, CheckpointSize = model.TotalBytes } }, ct).ConfigureAwait(false);
                        }
                        if (forwarding) await SendAsync(load, new LoadModelsChunk { CheckpointData = model.Data }, ct).ConfigureAwait(false);
                        break;
                    case ExportChunk.ChunkOneofCase.TrainingSet:
                        header = chunk.TrainingSet;
                        break;
                    case ExportChunk.ChunkOneofCase.TrainingUsers:
                        users.AddRange(chunk.TrainingUsers.Users);
                        break;
                }
            }
            return true;
        }, ct).ConfigureAwait(false);
        if (header is null || users.Count != header.Users)
            throw new AttackerServiceException(StatusCode.Internal,
                $"The simulator at {_services.Simulator.Address} exported an incomplete training set ({users.Count} of {header?.Users ?? 0} users).");

        var train = new TrainingSet { ItemCount = header.ItemIds.Count };
        foreach (var user in users) train.Sequences.Add(new Sequence { Items = { user.Items } });
        await SendAsync(load, new LoadModelsChunk { Train = train }, ct).ConfigureAwait(false);
        var reply = await LokiServices.CallAsync(AttackerServiceOptions.EstimatorSection, _services.Estimator, async () =>
        {
            await load.RequestStream.CompleteAsync().ConfigureAwait(false);
            return await load.ResponseAsync.ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        if (reply.Models.Count != differentiable.Count)
            throw new AttackerServiceException(StatusCode.Internal,
                $"The estimator at {_services.Estimator.Address} loaded {reply.Models.Count} of {differentiable.Count} models.");
        return new TrainingSetMap(header.ItemIds.ToArray(), users.Select(u => u.UserId).ToArray());
    }

    private Task SendAsync(AsyncClientStreamingCall<LoadModelsChunk, LoadModelsReply> load, LoadModelsChunk chunk, CancellationToken ct)
        => LokiServices.CallAsync(AttackerServiceOptions.EstimatorSection, _services.Estimator, async () =>
        {
            await load.RequestStream.WriteAsync(chunk, ct).ConfigureAwait(false);
            return true;
        }, ct);

    /// <summary>Builds the estimator's s_test cache for the summed target gradient, relaying progress.</summary>
    private async Task<BuildCacheStats> BuildCacheAsync(IReadOnlyList<Contracts.Attacker.V1.TargetPair> pairs, LissaSettings lissa, int models, IProgress<AttackProgress>? progress, CancellationToken ct)
    {
        // The reward needs only the summed target score change, and s_test is linear in ∇f: one
        // solve per model for Σ∇f gives the same scores as one per pair, at the cost of one pair.
        var request = new BuildCacheRequest { Options = lissa, SummedTargets = true };
        request.Targets.AddRange(pairs);
        var client = _services.EstimatorClient;
        return await LokiServices.CallAsync(AttackerServiceOptions.EstimatorSection, _services.Estimator, async () =>
        {
            using var call = client.BuildCache(request, deadline: LokiServices.LongDeadline(_services.Estimator), cancellationToken: ct);
            BuildCacheStats? stats = null;
            await foreach (var update in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (update.UpdateCase == BuildCacheUpdate.UpdateOneofCase.Stats) stats = update.Stats;
                else if (update.Progress is { } p)
                    progress?.Report(new AttackProgress("estimator", p.Done, p.Total, string.Create(CultureInfo.InvariantCulture,
                        $"s_test for {pairs.Count} target pairs over {models} models, {p.Phase} step {p.Done}/{p.Total}, {p.Message}")));
            }
            return stats ?? throw new AttackerServiceException(StatusCode.Internal, $"The estimator at {_services.Estimator.Address} ended BuildCache without its statistics.");
        }, ct).ConfigureAwait(false);
    }

    /// <summary>(target user, target item) pairs in training-set indices; target users the simulator did not crawl are named in a note and left out.</summary>
    private static List<Contracts.Attacker.V1.TargetPair> TargetPairs(ViewJoin join, InteractionDataset view, int[] targetUsers, IReadOnlyList<int> targetItems, AttackNotes notes)
    {
        var items = new List<int>();
        foreach (var item in targetItems)
            items.Add(join.ViewToTrainingItem[item] is >= 0 and var i ? i
                : throw new AttackerServiceException(StatusCode.FailedPrecondition, $"Target item '{view.ItemIds[item]}' is not in the simulator's training set."));
        var users = targetUsers.Where(u => join.ViewToTrainingUser[u] >= 0).Select(u => join.ViewToTrainingUser[u]).ToArray();
        if (users.Length < targetUsers.Length)
            notes.Add($"loki estimator: {targetUsers.Length - users.Length} of {targetUsers.Length} target users are not in the simulator's training set and are left out of the reward");
        if (users.Length == 0)
            throw new ArgumentException("None of the target users is in the simulator's training set: LOKI's reward has no target pair.");
        return [.. users.SelectMany(u => items.Select(i => new Contracts.Attacker.V1.TargetPair { User = u, Item = i }))];
    }

    /// <summary>
    /// The ensemble's models the estimator can differentiate, their weights renormalised to sum
    /// to 1 (uniform when they all had weight 0). Throws when none is left.
    /// </summary>
    public static IReadOnlyList<ModelWeight> ReweightForInfluence(IReadOnlyList<ModelWeight> models, out string? note)
    {
        ArgumentNullException.ThrowIfNull(models);
        var supported = models.Where(m => InfluenceModels.SupportedKinds.Contains(m.Kind, StringComparer.OrdinalIgnoreCase)).ToArray();
        var skipped = models.Where(m => !supported.Contains(m)).ToArray();
        if (supported.Length == 0)
            throw new ArgumentException(
                $"LOKI's reward needs a local model the influence estimator can differentiate ({string.Join(", ", InfluenceModels.SupportedKinds)}); the simulator has only {string.Join(", ", models.Select(m => m.Kind))}.");
        double sum = supported.Sum(m => m.Weight);
        var result = supported.Select(m => new ModelWeight { Kind = m.Kind, Weight = sum > 0 ? m.Weight / sum : 1.0 / supported.Length }).ToArray();
        note = skipped.Length == 0 ? null : string.Create(CultureInfo.InvariantCulture,
            $"loki estimator: {string.Join(", ", skipped.Select(m => $"{m.Kind} (weight {m.Weight:0.000})"))} cannot be differentiated (influence views exist for {string.Join(", ", InfluenceModels.SupportedKinds)}); left out of the reward, weights renormalised to {string.Join(", ", result.Select(m => $"{m.Kind} {m.Weight:0.000}"))}");
        return result;
    }

    /// <summary>Users with a public history, drawn with the seed (sorted).</summary>
    public static int[] DrawTargetUsers(InteractionDataset view, ulong seed, int count = DefaultTargetUsers)
    {
        ArgumentNullException.ThrowIfNull(view);
        var eligible = Enumerable.Range(0, view.UserCount).Where(u => view.Sequences[u].Length > 0).ToArray();
        if (eligible.Length == 0) throw new ArgumentException("The crawled view has no user with a public history to take as a target user.");
        var rng = SeededRandom.Derive(seed ^ TargetUserSalt, 0);
        for (int i = eligible.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (eligible[i], eligible[j]) = (eligible[j], eligible[i]);
        }
        var chosen = eligible.Take(Math.Min(count, eligible.Length)).ToArray();
        Array.Sort(chosen);
        return chosen;
    }

    /// <summary>The simulator's Build request from the context: local models, their epochs, the probe budget, seed and threads.</summary>
    public static BuildRequest BuildRequestFrom(AttackContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var request = new BuildRequest { Seed = ctx.Seed, Threads = ctx.GetInt("loki_threads", 1), ProbeHistoryLength = ctx.ActionsPerUser };
        if (request.Threads < 1) throw new ArgumentException($"Parameter 'loki_threads' must be at least 1, got {request.Threads}.");
        var kinds = ctx.GetString("loki_local_models") is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => k.ToLowerInvariant()).ToArray()
            : [.. InfluenceModels.SupportedKinds];
        if (kinds.Length == 0) throw new ArgumentException("Parameter 'loki_local_models' names no model.");
        int epochs = ctx.GetInt("loki_model_epochs", 0);
        if (epochs < 0) throw new ArgumentException($"Parameter 'loki_model_epochs' must not be negative, got {epochs}.");
        foreach (var kind in kinds)
        {
            RecommenderRegistration registration;
            try
            {
                registration = RecommenderFactory.Describe(kind);
            }
            catch (UnknownRecommenderKindException e)
            {
                throw new ArgumentException($"Parameter 'loki_local_models': {e.Message}");
            }
            var spec = new Contracts.Attacker.V1.LocalModelSpec { Kind = registration.Kind };
            if (epochs > 0)
            {
                var name = registration.HyperParameterNames.FirstOrDefault(n => string.Equals(n, "epochs", StringComparison.OrdinalIgnoreCase))
                    ?? throw new ArgumentException($"Parameter 'loki_model_epochs': model kind '{kind}' has no epochs hyper-parameter.");
                spec.HyperParameters[name] = epochs.ToString(CultureInfo.InvariantCulture);
            }
            request.Models.Add(spec);
        }
        if (ctx.GetString("loki_probe_queries") is not null)
        {
            request.ProbeQueries = ctx.GetInt("loki_probe_queries", 0);
            if (request.ProbeQueries < 0) throw new ArgumentException($"Parameter 'loki_probe_queries' must not be negative, got {request.ProbeQueries}.");
        }
        if (ctx.GetString("loki_probe_fraction") is not null) request.ProbeFraction = Fraction(ctx, "loki_probe_fraction");
        if (ctx.GetString("loki_holdout_fraction") is not null) request.HoldoutFraction = Fraction(ctx, "loki_holdout_fraction");
        return request;
    }

    private static double Fraction(AttackContext ctx, string name)
    {
        double value = ctx.GetDouble(name, 0);
        return value is >= 0 and <= 1 ? value : throw new ArgumentException($"Parameter '{name}' must be between 0 and 1, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>
    /// The pipeline's LiSSA defaults, which differ from the estimator service's: a short recursion
    /// at a large scale. A scale of 1e5 stays above the top eigenvalue of GRU4Rec's summed
    /// cross-entropy Hessian on ML-100K (1e3 diverged there, see docs/benchmarks.md), and 20 steps
    /// keep the cache build to about a minute per model. At such a depth and scale the solution is
    /// close to the first-order (gradient-alignment) regime: for GRU4Rec on ML-100K, depth 10 at
    /// scale 1e5 ranked candidate profiles with Pearson 0.999 against warm refits. The agent needs
    /// that ranking, not calibrated magnitudes (its rewards are normalised).
    /// </summary>
    public static class PipelineLissaDefaults
    {
        public const int Depth = 20;
        public const double Scale = 1e5;
    }

    /// <summary>
    /// LiSSA settings of the BuildCache request from the context: depth and scale default to
    /// <see cref="PipelineLissaDefaults"/>, the seed is the context's; damping, batch, repeats and
    /// tolerance are sent only when the context sets them (else the estimator's own defaults).
    /// The estimator validates them and answers a bad value with InvalidArgument.
    /// </summary>
    public static LissaSettings LissaSettingsFrom(AttackContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var settings = new LissaSettings
        {
            Depth = ctx.GetInt("loki_lissa_depth", PipelineLissaDefaults.Depth),
            Scale = ctx.GetDouble("loki_lissa_scale", PipelineLissaDefaults.Scale),
            Seed = ctx.Seed,
        };
        if (ctx.GetString("loki_lissa_damping") is not null) settings.Damping = ctx.GetDouble("loki_lissa_damping", 0);
        if (ctx.GetString("loki_lissa_batch") is not null) settings.BatchSize = ctx.GetInt("loki_lissa_batch", 0);
        if (ctx.GetString("loki_lissa_repeats") is not null) settings.Repeats = ctx.GetInt("loki_lissa_repeats", 0);
        if (ctx.GetString("loki_lissa_tolerance") is not null) settings.Tolerance = ctx.GetDouble("loki_lissa_tolerance", 0);
        return settings;
    }
}
