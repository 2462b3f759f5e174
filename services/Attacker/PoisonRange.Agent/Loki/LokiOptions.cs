using System.Globalization;
using PoisonRange.Data;

namespace PoisonRange.Agent.Loki;

/// <summary>How the environment's reward reaches the transitions of an episode.</summary>
public enum LokiRewardMode
{
    /// <summary>
    /// LOKI Eq. 6 gives a reward at every step t: the scored influence of the profile so far.
    /// Step t's reward is R(items 1..t+1) − R(items 1..t) with R(∅) = 0, so the rewards of an
    /// episode add up to the score of the whole profile. Costs M scorings per episode (batched).
    /// </summary>
    Incremental,

    /// <summary>Only the last step is rewarded, with the whole profile's score: one scoring per episode.</summary>
    Terminal,
}

/// <summary>The regression loss of the Q-update.</summary>
public enum LokiLoss
{
    /// <summary>Squared TD error, LOKI Eq. 9.</summary>
    Mse,

    /// <summary>Huber (smooth L1, β = 1): linear for large TD errors, steadier with heavy-tailed rewards.</summary>
    Huber,
}

/// <summary>
/// Options of <see cref="LokiTrainer"/>. LOKI gives M = 15 actions per profile (§4.3), the MDP,
/// the network's shape and the training procedure (§3.4) but no numeric hyper-parameters of the
/// agent; those defaults are ours (documented per property).
/// </summary>
public sealed record LokiOptions
{
    /// <summary>Defaults, as named constants.</summary>
    public static class Defaults
    {
        public const int ActionsPerProfile = 15;
        public const int Episodes = 2000;
        public const int EpisodesPerRound = 32;
        public const int UpdatesPerRound = 16;
        public const double Gamma = 0.9;
        public const double LearningRate = 1e-3;
        public const int BatchSize = 64;
        public const int ReplaySize = 10_000;
        public const int TargetSyncSteps = 100;
        public const double EpsilonStart = 1.0;
        public const double EpsilonEnd = 0.05;
        public const double EpsilonDecayEpisodes = 400;
        public const double PositiveFraction = 0.5;
    }

    /// <summary>Item grouping (c = <see cref="ItemGroupingOptions.Groups"/>, NMF rank, K-means).</summary>
    public ItemGroupingOptions Grouping { get; init; } = new();

    /// <summary>M: actions (items) per profile; LOKI uses 15.</summary>
    public int ActionsPerProfile { get; init; } = Defaults.ActionsPerProfile;

    /// <summary>Episode budget of training.</summary>
    public int Episodes { get; init; } = Defaults.Episodes;

    /// <summary>Optional wall-clock budget; training stops after the first round that ends past it.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>Episodes played per round; their profiles are scored in one reward call.</summary>
    public int EpisodesPerRound { get; init; } = Defaults.EpisodesPerRound;

    /// <summary>Gradient steps after each round.</summary>
    public int UpdatesPerRound { get; init; } = Defaults.UpdatesPerRound;

    /// <summary>γ, the discount factor.</summary>
    public double Gamma { get; init; } = Defaults.Gamma;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = Defaults.LearningRate;

    public int BatchSize { get; init; } = Defaults.BatchSize;

    /// <summary>Transitions kept in replay memory (half for positive rewards, half for the rest).</summary>
    public int ReplaySize { get; init; } = Defaults.ReplaySize;

    /// <summary>T: gradient steps between target-network synchronisations.</summary>
    public int TargetSyncSteps { get; init; } = Defaults.TargetSyncSteps;

    /// <summary>ε after episode e is End + (Start − End)·exp(−e / DecayEpisodes).</summary>
    public double EpsilonStart { get; init; } = Defaults.EpsilonStart;

    public double EpsilonEnd { get; init; } = Defaults.EpsilonEnd;

    public double EpsilonDecayEpisodes { get; init; } = Defaults.EpsilonDecayEpisodes;

    /// <summary>Share of each batch drawn from positive-reward transitions (balanced sampling).</summary>
    public double PositiveFraction { get; init; } = Defaults.PositiveFraction;

    public QNetworkSizes Network { get; init; } = new();

    public LokiLoss Loss { get; init; } = LokiLoss.Mse;

    public LokiRewardMode RewardMode { get; init; } = LokiRewardMode.Incremental;

    /// <summary>
    /// Divide rewards by the root mean square of all rewards seen so far (sign kept), so that the
    /// estimator's scale (often 1e-4 or less) does not set the learning rate's meaning.
    /// </summary>
    public bool NormalizeRewards { get; init; } = true;

    /// <summary>
    /// Extension beyond LOKI §3.4.1 (0, the paper's action space, by default): the most recent
    /// distinct non-target items of each target user, up to this many per user, form an "anchor"
    /// group of their own, so the agent can learn to place target items after items the target
    /// users just consumed (the pattern Co-visit hard-codes).
    /// </summary>
    public int AnchorRecentItems { get; init; }

    /// <summary>ε used when generating the final profiles (0: greedy).</summary>
    public double GenerationEpsilon { get; init; }

    public ulong Seed { get; init; } = 1;

    /// <summary>libtorch intra-op threads while the agent trains or acts (results are reproducible for a fixed count).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message naming the option.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Grouping);
        ArgumentNullException.ThrowIfNull(Network);
        Grouping.Validate();
        Network.Validate();
        Check(ActionsPerProfile >= 1, $"actions per profile (M) must be at least 1, got {ActionsPerProfile}.");
        Check(Episodes >= 1, $"episodes must be at least 1, got {Episodes}.");
        Check(TimeBudget is null || TimeBudget > TimeSpan.Zero, $"time budget must be positive, got {TimeBudget}.");
        Check(EpisodesPerRound >= 1, $"episodes per round must be at least 1, got {EpisodesPerRound}.");
        Check(UpdatesPerRound >= 0, $"updates per round must not be negative, got {UpdatesPerRound}.");
        Check(Gamma is >= 0 and <= 1, $"gamma must be in [0, 1], got {Format(Gamma)}.");
        Check(double.IsFinite(LearningRate) && LearningRate > 0, $"learning rate must be positive, got {Format(LearningRate)}.");
        Check(BatchSize >= 1, $"batch size must be at least 1, got {BatchSize}.");
        Check(ReplaySize >= 2, $"replay size must be at least 2, got {ReplaySize}.");
        Check(TargetSyncSteps >= 1, $"target sync steps (T) must be at least 1, got {TargetSyncSteps}.");
        Check(EpsilonStart is >= 0 and <= 1, $"epsilon start must be in [0, 1], got {Format(EpsilonStart)}.");
        Check(EpsilonEnd is >= 0 and <= 1, $"epsilon end must be in [0, 1], got {Format(EpsilonEnd)}.");
        Check(EpsilonEnd <= EpsilonStart, $"epsilon end ({Format(EpsilonEnd)}) must not exceed epsilon start ({Format(EpsilonStart)}).");
        Check(double.IsFinite(EpsilonDecayEpisodes) && EpsilonDecayEpisodes > 0, $"epsilon decay episodes must be positive, got {Format(EpsilonDecayEpisodes)}.");
        Check(PositiveFraction is >= 0 and <= 1, $"positive fraction must be in [0, 1], got {Format(PositiveFraction)}.");
        Check(GenerationEpsilon is >= 0 and <= 1, $"generation epsilon must be in [0, 1], got {Format(GenerationEpsilon)}.");
        Check(Enum.IsDefined(Loss), $"unknown loss {Loss}.");
        Check(Enum.IsDefined(RewardMode), $"unknown reward mode {RewardMode}.");
        Check(Threads >= 1, $"threads must be at least 1, got {Threads}.");
        Check(AnchorRecentItems >= 0, $"anchor recent items must not be negative, got {AnchorRecentItems}.");
    }

    /// <summary>
    /// The anchor items of <see cref="AnchorRecentItems"/>: for each target user in turn, its most
    /// recent distinct items that are not targets, up to <see cref="AnchorRecentItems"/> of them;
    /// empty when the option is 0.
    /// </summary>
    public IReadOnlyList<int> AnchorItems(InteractionDataset view, IReadOnlyList<int> targetUsers, IReadOnlyList<int> targetItems)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(targetUsers);
        ArgumentNullException.ThrowIfNull(targetItems);
        if (AnchorRecentItems == 0) return [];
        var targets = targetItems.ToHashSet();
        var seen = new HashSet<int>();
        var anchors = new List<int>();
        foreach (var user in targetUsers)
        {
            if ((uint)user >= (uint)view.UserCount) throw new ArgumentException($"Target user index {user} is outside the view (0..{view.UserCount - 1}).");
            var sequence = view.Sequences[user];
            var mine = new HashSet<int>();
            for (int i = sequence.Length - 1; i >= 0 && mine.Count < AnchorRecentItems; i--)
                if (!targets.Contains(sequence[i]) && mine.Add(sequence[i]) && seen.Add(sequence[i]))
                    anchors.Add(sequence[i]);
        }
        return anchors;
    }

    /// <summary>ε after <paramref name="episodes"/> episodes.</summary>
    public double EpsilonAfter(long episodes)
        => EpsilonEnd + (EpsilonStart - EpsilonEnd) * Math.Exp(-episodes / EpsilonDecayEpisodes);

    /// <summary>
    /// Options from a strategy's parameters (names as in <see cref="ParameterNames"/>), M from the
    /// context, seed from the context; everything else from <paramref name="fallback"/> or the defaults.
    /// </summary>
    /// <param name="alsoKnown">Further "loki_" parameters the caller reads itself (the pipeline's simulator and estimator settings).</param>
    public static LokiOptions FromContext(AttackContext ctx, LokiOptions? fallback = null, IEnumerable<string>? alsoKnown = null)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var o = fallback ?? new LokiOptions();
        var known = ParameterNames.Concat(alsoKnown ?? []).ToHashSet(StringComparer.Ordinal);
        foreach (var name in ctx.Parameters.Keys)
            if (name.StartsWith("loki_", StringComparison.Ordinal) && !known.Contains(name))
                throw new ArgumentException($"Unknown LOKI parameter '{name}'; known: {string.Join(", ", known.Order(StringComparer.Ordinal))}.");
        double? seconds = ctx.GetString("loki_time_budget_s") is null ? null : ctx.GetDouble("loki_time_budget_s", 0);
        var result = o with
        {
            Grouping = o.Grouping with
            {
                Groups = ctx.GetInt("loki_groups", o.Grouping.Groups),
                Rank = ctx.GetInt("loki_nmf_rank", o.Grouping.Rank),
                Seed = ctx.Seed,
            },
            ActionsPerProfile = ctx.ActionsPerUser,
            Episodes = ctx.GetInt("loki_episodes", o.Episodes),
            TimeBudget = seconds is { } s ? (s > 0 ? TimeSpan.FromSeconds(s) : throw new ArgumentException($"Parameter 'loki_time_budget_s' must be positive, got {Format(s)}.")) : o.TimeBudget,
            EpisodesPerRound = ctx.GetInt("loki_episodes_per_round", o.EpisodesPerRound),
            UpdatesPerRound = ctx.GetInt("loki_updates_per_round", o.UpdatesPerRound),
            Gamma = ctx.GetDouble("loki_gamma", o.Gamma),
            LearningRate = ctx.GetDouble("loki_lr", o.LearningRate),
            BatchSize = ctx.GetInt("loki_batch", o.BatchSize),
            ReplaySize = ctx.GetInt("loki_replay", o.ReplaySize),
            TargetSyncSteps = ctx.GetInt("loki_target_sync", o.TargetSyncSteps),
            EpsilonStart = ctx.GetDouble("loki_epsilon_start", o.EpsilonStart),
            EpsilonEnd = ctx.GetDouble("loki_epsilon_end", o.EpsilonEnd),
            EpsilonDecayEpisodes = ctx.GetDouble("loki_epsilon_decay", o.EpsilonDecayEpisodes),
            AnchorRecentItems = ctx.GetInt("loki_anchor_recent", o.AnchorRecentItems),
            Seed = ctx.Seed,
        };
        result.Validate();
        return result;
    }

    /// <summary>Strategy parameters <see cref="FromContext"/> reads.</summary>
    public static IReadOnlyList<string> ParameterNames { get; } =
    [
        "loki_groups", "loki_nmf_rank", "loki_episodes", "loki_time_budget_s", "loki_episodes_per_round", "loki_updates_per_round",
        "loki_gamma", "loki_lr", "loki_batch", "loki_replay", "loki_target_sync", "loki_epsilon_start", "loki_epsilon_end", "loki_epsilon_decay",
        "loki_anchor_recent",
    ];

    private static string Format(double value) => value.ToString("G", CultureInfo.InvariantCulture);

    private static void Check(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }
}
