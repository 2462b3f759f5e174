using System.Diagnostics;
using System.Globalization;
using PoisonRange.Client;
using PoisonRange.Data;
using PoisonRange.Estimator;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Influence;
using PoisonRange.Simulator;
using EstimatorModel = PoisonRange.Estimator.LocalModel;

namespace PoisonRange.Agent.Loki;

/// <summary>
/// The whole black-box LOKI attack (§3) as the agent's "loki" strategy: from the crawled view in
/// the context it trains the simulator's local models and fits their weights with a counted probe
/// budget on the platform (§3.2), builds the influence estimator's cache for every
/// (target user, target item) pair over the models it can differentiate (§3.3), trains the DQN
/// agent on the estimator's predicted score change as reward (§3.4) and generates the fake
/// profiles with the trained policy. Each phase reports progress ("simulator", "estimator",
/// "groups", "train", "generate") and its wall-clock seconds in <see cref="AttackContext.Notes"/>.
/// </summary>
/// <remarks>
/// LOKI's four kinds (BPR-MF, FPMC, GRU4Rec, TransRec) all have an influence view. A local model
/// of another kind stays in the simulator (it shapes the weights of the others through the
/// Kendall fit) but is left out of the reward; the remaining weights are renormalised to sum to 1
/// and a note says so. With <see cref="LokiOptions.AnchorRecentItems"/> the target users' most
/// recent items form a group of their own (an extension beyond the paper's action space). Parameters (besides the agent's
/// <see cref="LokiOptions.ParameterNames"/>): see <see cref="PipelineParameterNames"/>.
/// </remarks>
public sealed class LokiPipelineStrategy(PlatformClient client, LokiOptions? defaults = null) : IAttackStrategy
{
    /// <summary>Target users the attack draws from the view when the request names none.</summary>
    public const int DefaultTargetUsers = 20;

    private const ulong TargetUserSalt = 0x4C4F4B4954555352UL;

    private readonly PlatformClient _client = client ?? throw new ArgumentNullException(nameof(client));

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
        var simulatorOptions = SimulatorOptionsFrom(context);
        var lissa = LissaOptionsFrom(context);
        var progress = context.Progress;
        var notes = context.Notes;
        if (context.FakeUsers == 0) return [];

        var clock = Stopwatch.StartNew();
        // 1. The simulator, trained on the context's view so that every index below is the view's.
        var view = context.View;
        var specs = simulatorOptions.EffectiveModels();
        var simProgress = progress is null ? null : new SyncProgress<SimulatorProgress>(p =>
            progress.Report(new AttackProgress("simulator", p.Done, p.Total, $"{p.Phase}: {p.Message}")));
        var before = _client.Counters.Snapshot();
        var models = await Task.Run(() => SimulatorBuilder.TrainModels(view, specs, simulatorOptions.Seed, simulatorOptions.Threads, simProgress, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        SimulatorEnsemble ensemble;
        try
        {
            var plan = await SimulatorBuilder.PlanProbesAsync(_client, view, simulatorOptions, cancellationToken).ConfigureAwait(false);
            var run = await SimulatorBuilder.RunProbesAsync(_client, view, plan, simulatorOptions, simProgress, cancellationToken).ConfigureAwait(false);
            var spent = _client.Counters.Snapshot() - before;
            ensemble = SimulatorBuilder.Assemble(view, specs, models, run, plan, spent, simulatorOptions, simProgress, cancellationToken);
        }
        catch
        {
            foreach (var m in models) m.Dispose();
            throw;
        }
        using var ownedEnsemble = ensemble;
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"loki simulator: {string.Join(", ", ensemble.Models.Select(m => $"{m.Kind} {m.Weight:0.000}"))}; {ensemble.Spend.Queries} queries, {ensemble.Spend.Accounts} probe accounts; {ensemble.Agreement.Message}"));
        if (ensemble.Spend.Degraded) notes.Add($"loki simulator: probe budget degraded: {ensemble.Spend.Message}");
        notes.AddPhase("simulator", clock.Elapsed.TotalSeconds);

        // 2. The estimator over the differentiable models, weights renormalised.
        clock.Restart();
        var differentiable = ReweightForInfluence(ensemble.Models, out var skippedNote);
        if (skippedNote is not null)
        {
            notes.Add(skippedNote);
            progress?.Report(new AttackProgress("estimator", 0, 1, skippedNote));
        }
        var targetUsers = context.TargetUsers.Count > 0 ? context.TargetUsers.ToArray() : DrawTargetUsers(view, context.Seed);
        if (context.TargetUsers.Count == 0)
            notes.Add($"loki estimator: no target users given; {targetUsers.Length} users with a public history drawn with the seed");
        var pairs = targetUsers.SelectMany(u => context.TargetItems.Select(i => new TargetPair(u, i))).ToArray();
        // The reward needs only the summed target score change, and s_test is linear in ∇f: one
        // solve per model for Σ∇f gives the same scores as one per pair, at the cost of one pair.
        using var estimator = new InfluenceEstimator(differentiable, view, pairs, lissa, solvePerTarget: false);
        var cacheProgress = progress is null ? null : new SyncProgress<CacheBuildProgress>(p =>
            progress.Report(new AttackProgress("estimator", p.Solve.Iteration, p.Solve.Depth,
                string.Create(CultureInfo.InvariantCulture, $"s_test for {pairs.Length} target pairs, model {p.Model}/{p.Models} ({p.Kind}), LiSSA step {p.Solve.Iteration}/{p.Solve.Depth}, change {p.Solve.RelativeChange:0.###e0}"))));
        var cache = await estimator.BuildCacheAsync(cacheProgress, cancellationToken).ConfigureAwait(false);
        foreach (var m in cache.Models.Where(m => m.Result.Status != SolveStatus.Converged))
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"loki estimator: LiSSA for {m.Kind} {(m.Result.Status == SolveStatus.Diverged ? "diverged" : "stopped without converging")} after {m.Result.Iterations} steps (relative change {m.Result.RelativeChange:0.###e0}); its reward term is approximate"));
        notes.AddPhase("estimator", clock.Elapsed.TotalSeconds);
        progress?.Report(new AttackProgress("estimator", 1, 1, string.Create(CultureInfo.InvariantCulture,
            $"influence cache for {pairs.Length} pairs × {differentiable.Count} models in {cache.Elapsed.TotalSeconds:0.0} s")));

        // 3. Groups, 4. training, 5. generation.
        clock.Restart();
        var reward = new FunctionProfileReward(estimator.ScoreProfiles);
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
        notes.AddPhase("train", clock.Elapsed.TotalSeconds);

        clock.Restart();
        var profiles = trainer.GenerateProfiles(context, cancellationToken);
        notes.AddPhase("generate", clock.Elapsed.TotalSeconds);
        return profiles;
    }

    /// <summary>
    /// The ensemble's models the estimator can differentiate, their weights renormalised to sum
    /// to 1 (uniform when they all had weight 0). Throws when none is left.
    /// </summary>
    public static IReadOnlyList<EstimatorModel> ReweightForInfluence(IReadOnlyList<PoisonRange.Simulator.LocalModel> models, out string? note)
    {
        ArgumentNullException.ThrowIfNull(models);
        var supported = models.Where(m => InfluenceModels.SupportedKinds.Contains(m.Model.Kind, StringComparer.OrdinalIgnoreCase)).ToArray();
        var skipped = models.Where(m => !supported.Contains(m)).ToArray();
        if (supported.Length == 0)
            throw new ArgumentException(
                $"LOKI's reward needs a local model the influence estimator can differentiate ({string.Join(", ", InfluenceModels.SupportedKinds)}); the simulator has only {string.Join(", ", models.Select(m => m.Kind))}.");
        double sum = supported.Sum(m => m.Weight);
        var result = supported.Select(m => new EstimatorModel(m.Kind, m.Model, sum > 0 ? m.Weight / sum : 1.0 / supported.Length)).ToArray();
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

    /// <summary>Simulator settings from the context: local models, their epochs, the probe budget, seed and threads.</summary>
    public static SimulatorOptions SimulatorOptionsFrom(AttackContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var options = new SimulatorOptions { Seed = ctx.Seed, Threads = ctx.GetInt("loki_threads", 1) };
        var kinds = ctx.GetString("loki_local_models") is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => k.ToLowerInvariant()).ToArray()
            : [.. SimulatorOptions.LokiKinds];
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
            Dictionary<string, string>? hyper = null;
            if (epochs > 0)
            {
                var name = registration.HyperParameterNames.FirstOrDefault(n => string.Equals(n, "epochs", StringComparison.OrdinalIgnoreCase))
                    ?? throw new ArgumentException($"Parameter 'loki_model_epochs': model kind '{kind}' has no epochs hyper-parameter.");
                hyper = new Dictionary<string, string>(StringComparer.Ordinal) { [name] = epochs.ToString(CultureInfo.InvariantCulture) };
            }
            options.Models.Add(new LocalModelSpec(registration.Kind, hyper));
        }
        if (ctx.GetString("loki_probe_queries") is not null) options.ProbeQueries = ctx.GetInt("loki_probe_queries", 0);
        options.ProbeFraction = ctx.GetDouble("loki_probe_fraction", options.ProbeFraction);
        options.HoldoutFraction = ctx.GetDouble("loki_holdout_fraction", options.HoldoutFraction);
        options.ProbeHistoryLength = ctx.ActionsPerUser;
        options.Validate();
        return options;
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

    /// <summary>LiSSA settings from the context (defaults: <see cref="PipelineLissaDefaults"/>, else <see cref="LissaOptions.Defaults"/>; seed from the context).</summary>
    public static LissaOptions LissaOptionsFrom(AttackContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var options = new LissaOptions
        {
            Depth = ctx.GetInt("loki_lissa_depth", PipelineLissaDefaults.Depth),
            Damping = ctx.GetDouble("loki_lissa_damping", LissaOptions.Defaults.Damping),
            Scale = ctx.GetDouble("loki_lissa_scale", PipelineLissaDefaults.Scale),
            BatchSize = ctx.GetInt("loki_lissa_batch", LissaOptions.Defaults.BatchSize),
            Repeats = ctx.GetInt("loki_lissa_repeats", LissaOptions.Defaults.Repeats),
            Tolerance = ctx.GetDouble("loki_lissa_tolerance", LissaOptions.Defaults.Tolerance),
            Seed = ctx.Seed,
        };
        try
        {
            return options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"LOKI estimator parameters: {e.Message.ReplaceLineEndings(" ")}");
        }
    }
}
