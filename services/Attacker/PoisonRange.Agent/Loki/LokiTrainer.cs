using System.Globalization;
using PoisonRange.Agent.Strategies;
using PoisonRange.Data;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PoisonRange.Agent.Loki;

/// <summary>Why training stopped.</summary>
public enum LokiStopReason
{
    EpisodeBudget,
    TimeBudget,
}

/// <summary>Statistics of one training round (what the progress display shows).</summary>
/// <param name="Episodes">Episodes played so far.</param>
/// <param name="MeanReward">Mean score of the round's whole profiles (raw reward units).</param>
/// <param name="Epsilon">ε used in the round.</param>
/// <param name="Loss">Mean loss of the round's gradient steps (NaN when there were none).</param>
/// <param name="TargetShare">Share of the round's actions that picked the target group.</param>
public sealed record LokiRoundStats(int Round, int Episodes, double MeanReward, double Epsilon, double Loss, double TargetShare, TimeSpan Elapsed);

/// <summary>Outcome of <see cref="LokiTrainer.TrainAsync"/>.</summary>
public sealed record LokiTrainingResult(
    int Episodes,
    int Rounds,
    long GradientSteps,
    TimeSpan Elapsed,
    LokiStopReason StopReason,
    IReadOnlyList<LokiRoundStats> History);

/// <summary>
/// The LOKI agent (§3.4): item groups as coarse actions, a dueling GRU Q-network with a target
/// network synchronised every T gradient steps, ε-greedy exploration with exponential decay and a
/// replay memory with balanced sampling of positive-reward transitions. Each round plays
/// <see cref="LokiOptions.EpisodesPerRound"/> episodes in lock-step (one batched forward pass per
/// step), scores their profiles in one call to the reward, stores the transitions and takes
/// <see cref="LokiOptions.UpdatesPerRound"/> gradient steps (Adam) on
/// (r + γ·max_a' Q_target(s', a') − Q(s, a)), masked actions excluded from the max.
/// Deterministic on CPU for a fixed seed and thread count (and a deterministic reward).
/// </summary>
public sealed class LokiTrainer : IDisposable
{
    /// <summary>Strategy name used in profile ids.</summary>
    public const string StrategyName = "loki";

    private const ulong ItemStreamSalt = 0x4C4F4B4949544D53UL;
    private const ulong ExploreStreamSalt = 0x4C4F4B4945585052UL;
    private const ulong ReplayStreamSalt = 0x4C4F4B495245504CUL;
    private const ulong GenerateSalt = 0x4C4F4B4947454E45UL;

    private readonly InteractionDataset _view;
    private readonly int[] _targets;
    private readonly IProfileReward _reward;
    private readonly LokiOptions _options;
    private readonly DuelingGruQNetwork _policy;
    private readonly DuelingGruQNetwork _target;
    private readonly TorchOptimizer _optimizer;
    private readonly ReplayMemory _memory;
    private readonly SeededRandom _replayRng;
    private readonly ScalarCache _scalars = new();
    private readonly TimeProvider _time;
    private int _episodes;
    private long _gradientSteps;
    private double _rewardSquares;
    private long _rewardCount;
    private bool _disposed;

    /// <param name="view">The attacker's crawled view; profiles use its dense item indices.</param>
    /// <param name="targetItems">Items to promote (dense indices).</param>
    /// <param name="reward">Scores candidate profiles (the estimator, or <see cref="RetrainProfileReward"/>).</param>
    /// <param name="groups">Precomputed groups; null computes them with <see cref="ItemGrouping"/> from <see cref="LokiOptions.Grouping"/>.</param>
    public LokiTrainer(InteractionDataset view, IReadOnlyList<int> targetItems, IProfileReward reward, LokiOptions options, ItemGroups? groups = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(targetItems);
        ArgumentNullException.ThrowIfNull(reward);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _view = view;
        _targets = targetItems.ToArray();
        _reward = reward;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        Groups = groups ?? ItemGrouping.Compute(view, _targets, options.Grouping);
        if (Groups.ItemCount != view.ItemCount)
            throw new ArgumentException($"The item groups cover a catalogue of {Groups.ItemCount} items; the view has {view.ItemCount}.");
        Environment = new LokiEnvironment(Groups, options.ActionsPerProfile);

        using var threads = new TorchThreads(options.Threads);
        _policy = new DuelingGruQNetwork(Groups.Count, options.Network, Groups.Features, options.Seed);
        _target = new DuelingGruQNetwork(Groups.Count, options.Network, Groups.Features, options.Seed);
        _target.CopyFrom(_policy);
        _target.eval();
        _optimizer = new TorchOptimizer(_policy.parameters(), OptimizerKind.Adam, options.LearningRate);
        _memory = new ReplayMemory(options.ReplaySize, options.PositiveFraction);
        _replayRng = SeededRandom.Derive(options.Seed ^ ReplayStreamSalt, 0);
    }

    public ItemGroups Groups { get; }

    public LokiEnvironment Environment { get; }

    public LokiOptions Options => _options;

    /// <summary>Episodes played so far.</summary>
    public int EpisodesPlayed => _episodes;

    public ReplayMemory Memory => _memory;

    /// <summary>
    /// Trains until the episode budget or the time budget is spent. Reports every round as
    /// phase "train" (done = episodes) with the mean reward, ε and loss in the message, and
    /// the same numbers as <see cref="LokiRoundStats"/> through <paramref name="rounds"/>.
    /// May be called again to continue training with a fresh budget.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled; the agent keeps what it learnt.</exception>
    /// <exception cref="InvalidOperationException">The reward returned a wrong count or a non-finite score.</exception>
    public async Task<LokiTrainingResult> TrainAsync(IProgress<AttackProgress>? progress = null, CancellationToken cancellationToken = default, IProgress<LokiRoundStats>? rounds = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long start = _time.GetTimestamp();
        var history = new List<LokiRoundStats>();
        int budget = _options.Episodes, played = 0, round = 0;
        var reason = LokiStopReason.EpisodeBudget;
        while (played < budget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(_options.EpisodesPerRound, budget - played);
            double epsilon = _options.EpsilonAfter(_episodes);
            int first = _episodes;
            var episodes = Act(Environment, count, epsilon, k => (
                SeededRandom.Derive(_options.Seed ^ ItemStreamSalt, (ulong)(first + k)),
                SeededRandom.Derive(_options.Seed ^ ExploreStreamSalt, (ulong)(first + k))), cancellationToken);

            // Score outside any dispose scope: the reward may await.
            var requests = new List<int[]>();
            foreach (var e in episodes)
            {
                if (_options.RewardMode == LokiRewardMode.Incremental)
                    for (int t = 1; t <= e.Items.Count; t++) requests.Add(e.Items.Take(t).ToArray());
                else requests.Add(e.Items.ToArray());
            }
            var scores = await _reward.ScoreProfilesAsync(requests, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            CheckScores(scores, requests.Count);

            double rewardSum = 0, targetActions = 0, actions = 0;
            int offset = 0;
            foreach (var e in episodes)
            {
                int length = e.Items.Count;
                double finalScore = 0;
                for (int t = 0; t < length; t++)
                {
                    double r;
                    if (_options.RewardMode == LokiRewardMode.Incremental)
                    {
                        double before = t == 0 ? 0 : scores[offset + t - 1];
                        r = scores[offset + t] - before;
                        finalScore = scores[offset + t];
                    }
                    else
                    {
                        r = t == length - 1 ? scores[offset] : 0;
                        finalScore = scores[offset];
                    }
                    _rewardSquares += r * r;
                    _rewardCount++;
                    _memory.Add(new Transition(e.Actions.Take(t).ToArray(), e.Actions[t], r, t == length - 1, e.NextValid[t]));
                    if (e.Actions[t] == Groups.TargetGroup) targetActions++;
                    actions++;
                }
                offset += _options.RewardMode == LokiRewardMode.Incremental ? length : 1;
                rewardSum += finalScore;
            }
            _episodes += count;
            played += count;
            round++;

            double loss = Update(cancellationToken);
            var elapsed = _time.GetElapsedTime(start);
            var stats = new LokiRoundStats(round, _episodes, rewardSum / count, epsilon, loss, actions == 0 ? 0 : targetActions / actions, elapsed);
            history.Add(stats);
            rounds?.Report(stats);
            progress?.Report(new AttackProgress("train", played, budget, string.Create(CultureInfo.InvariantCulture,
                $"loki: episode {played}/{budget}, mean reward {stats.MeanReward:G4}, epsilon {epsilon:F3}, loss {(double.IsNaN(loss) ? "-" : loss.ToString("G4", CultureInfo.InvariantCulture))}")));
            if (_options.TimeBudget is { } limit && elapsed >= limit && played < budget)
            {
                reason = LokiStopReason.TimeBudget;
                break;
            }
        }
        return new LokiTrainingResult(played, round, _gradientSteps, _time.GetElapsedTime(start), reason, history);
    }

    /// <summary>The greedy policy's group sequence for one profile (the same for every profile while ε = 0).</summary>
    public IReadOnlyList<int> GreedyActions(ulong seed = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var e = Act(Environment, 1, 0, _ => (SeededRandom.Derive(seed, 0), SeededRandom.Derive(seed, 1)), CancellationToken.None);
        return e[0].Actions;
    }

    /// <summary>Q-values of every action after the group sequence <paramref name="state"/> (for inspection).</summary>
    public float[] QValues(IReadOnlyList<int> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var a in state)
            if ((uint)a >= (uint)Groups.Count) throw new ArgumentException($"Action {a} is outside 0..{Groups.Count - 1}.");
        using var threads = new TorchThreads(_options.Threads);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (tokens, last) = Batch([state.ToArray()], extra: null);
        _policy.eval();
        return _policy.forward(tokens, last).data<float>().ToArray();
    }

    /// <summary>
    /// <paramref name="count"/> fake profiles from the trained policy (ε =
    /// <see cref="LokiOptions.GenerationEpsilon"/>), M actions each, with timestamps (and ratings
    /// for explicit-feedback views) as the other strategies make them.
    /// </summary>
    public IReadOnlyList<FakeProfileSpec> GenerateProfiles(int count, long? startTimestampMs = null, CancellationToken cancellationToken = default)
        => GenerateProfiles(new AttackContext
        {
            View = _view,
            TargetItems = _targets,
            FakeUsers = count,
            ActionsPerUser = _options.ActionsPerProfile,
            Seed = _options.Seed,
            StartTimestampMs = startTimestampMs,
        }, cancellationToken);

    /// <summary>Profiles for a strategy context (its view, budget, M, seed, timestamps and parameters); checked with <see cref="ProfileValidator"/>.</summary>
    public IReadOnlyList<FakeProfileSpec> GenerateProfiles(AttackContext ctx, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.Validate();
        if (ctx.View.ItemCount != _view.ItemCount)
            throw new ArgumentException($"The context's view has {ctx.View.ItemCount} items; the agent was trained on {_view.ItemCount}.");
        var environment = ctx.ActionsPerUser == Environment.MaxActions ? Environment : new LokiEnvironment(Groups, ctx.ActionsPerUser);
        var profiles = new List<FakeProfileSpec>(ctx.FakeUsers);
        const int chunk = 256;
        for (int first = 0; first < ctx.FakeUsers; first += chunk)
        {
            int n = Math.Min(chunk, ctx.FakeUsers - first);
            int from = first;
            var episodes = Act(environment, n, _options.GenerationEpsilon, k => (
                SeededRandom.Derive(ctx.Seed ^ GenerateSalt ^ ItemStreamSalt, (ulong)(from + k)),
                SeededRandom.Derive(ctx.Seed ^ GenerateSalt ^ ExploreStreamSalt, (ulong)(from + k))), cancellationToken);
            for (int k = 0; k < n; k++)
            {
                var rng = ProfileComposer.RandomFor(ctx, StrategyName, from + k);
                profiles.Add(ProfileComposer.Build(ctx, StrategyName, from + k, episodes[k].Items, rng));
                ProfileComposer.Report(ctx, StrategyName, from + k + 1);
            }
        }
        ProfileValidator.Check(StrategyName, ctx, profiles);
        return profiles;
    }

    private sealed record Played(List<int> Actions, List<int> Items, List<bool[]> NextValid);

    /// <summary>Plays <paramref name="count"/> episodes in lock-step with ε-greedy over the valid actions.</summary>
    private List<Played> Act(LokiEnvironment environment, int count, double epsilon, Func<int, (SeededRandom Items, SeededRandom Explore)> streams, CancellationToken cancellationToken)
    {
        var episodes = new LokiEpisode[count];
        var explore = new SeededRandom[count];
        var played = new List<Played>(count);
        for (int k = 0; k < count; k++)
        {
            var (items, exploreRng) = streams(k);
            episodes[k] = environment.Start(items);
            explore[k] = exploreRng;
            played.Add(new Played([], [], []));
        }
        int actionsCount = environment.ActionCount;
        using var threads = new TorchThreads(_options.Threads);
        _policy.eval();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var active = Enumerable.Range(0, count).Where(k => !episodes[k].IsDone).ToArray();
            if (active.Length == 0) break;
            float[] q;
            using (var noGrad = no_grad())
            using (var scope = NewDisposeScope())
            {
                var (tokens, last) = Batch(active.Select(k => episodes[k].Actions.ToArray()).ToList(), extra: null);
                q = _policy.forward(tokens, last).data<float>().ToArray();
            }
            for (int row = 0; row < active.Length; row++)
            {
                int k = active[row];
                var episode = episodes[k];
                var mask = episode.ValidActions();
                int action;
                if (epsilon > 0 && explore[k].NextDouble() < epsilon)
                {
                    int valid = mask.Count(v => v), skip = explore[k].Next(valid);
                    action = Array.FindIndex(mask, v => v && skip-- == 0);
                }
                else
                {
                    action = -1;
                    for (int a = 0; a < actionsCount; a++)
                        if (mask[a] && (action < 0 || q[row * actionsCount + a] > q[row * actionsCount + action])) action = a;
                }
                episode.Step(action);
                played[k].Actions.Add(action);
                played[k].Items.Add(episode.Items[^1]);
                played[k].NextValid.Add(episode.ValidActions());
            }
        }
        return played;
    }

    /// <summary>Gradient steps of one round; returns their mean loss (NaN when memory is still short of a batch).</summary>
    private double Update(CancellationToken cancellationToken)
    {
        if (_options.UpdatesPerRound == 0 || _memory.Count < _options.BatchSize) return double.NaN;
        double rms = _rewardCount == 0 ? 0 : Math.Sqrt(_rewardSquares / _rewardCount);
        double scale = _options.NormalizeRewards && rms > 0 ? 1 / rms : 1;
        int actions = Groups.Count;
        double lossSum = 0;
        using var threads = new TorchThreads(_options.Threads);
        _policy.train();
        for (int step = 0; step < _options.UpdatesPerRound; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = _memory.Sample(_options.BatchSize, _replayRng);
            using var scope = NewDisposeScope();
            var (tokens, last) = Batch(batch.Select(t => t.State).ToList(), extra: null);
            var (nextTokens, nextLast) = Batch(batch.Select(t => t.State).ToList(), extra: batch.Select(t => t.Action).ToList());
            var chosen = tensor(batch.Select(t => (long)t.Action).ToArray());
            var rewards = tensor(batch.Select(t => (float)(t.Reward * scale)).ToArray());
            var bootstrap = tensor(batch.Select(t => t.Done ? 0f : (float)_options.Gamma).ToArray());
            var nextMask = tensor(batch.SelectMany(t => t.NextValid).ToArray()).reshape(batch.Count, actions);

            Tensor target;
            using (var noGrad = no_grad())
            {
                var next = _target.forward(nextTokens, nextLast).masked_fill(nextMask.logical_not(), _scalars[-1e9]);
                target = next.amax([1L]).mul(bootstrap).add(rewards, _scalars.One);
            }
            var q = _policy.forward(tokens, last).gather(1, chosen.unsqueeze(1)).squeeze(1);
            var loss = _options.Loss == LokiLoss.Huber
                ? nn.functional.smooth_l1_loss(q, target)
                : nn.functional.mse_loss(q, target);
            _optimizer.ZeroGrad();
            loss.backward();
            _optimizer.Step();
            lossSum += loss.item<float>();
            _gradientSteps++;
            if (_gradientSteps % _options.TargetSyncSteps == 0) _target.CopyFrom(_policy);
        }
        _policy.eval();
        return lossSum / _options.UpdatesPerRound;
    }

    /// <summary>
    /// Right-padded token batch: each row is the start token, the state's actions and (for next
    /// states) one more action; plus the flat index of each row's last real position.
    /// </summary>
    private (Tensor Tokens, Tensor Last) Batch(List<int[]> states, List<int>? extra)
    {
        int rows = states.Count;
        int length = states.Max(s => s.Length) + 1 + (extra is null ? 0 : 1);
        long start = _policy.StartToken;
        var tokens = new long[rows * length];
        Array.Fill(tokens, start);
        var last = new long[rows];
        for (int r = 0; r < rows; r++)
        {
            var s = states[r];
            for (int j = 0; j < s.Length; j++) tokens[r * length + 1 + j] = s[j];
            int used = s.Length + 1;
            if (extra is not null) tokens[r * length + used++] = extra[r];
            last[r] = (long)r * length + used - 1;
        }
        return (tensor(tokens).reshape(rows, length), tensor(last));
    }

    private static void CheckScores(double[]? scores, int expected)
    {
        if (scores is null || scores.Length != expected)
            throw new InvalidOperationException($"The reward returned {scores?.Length ?? 0} scores for {expected} profiles.");
        for (int k = 0; k < scores.Length; k++)
            if (!double.IsFinite(scores[k])) throw new InvalidOperationException($"The reward returned a non-finite score ({scores[k]}) for profile {k}.");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _optimizer.Dispose();
        _policy.Dispose();
        _target.Dispose();
        _scalars.Dispose();
    }
}

/// <summary>Sets libtorch's intra-op thread count (process-wide) for a scope and restores it.</summary>
internal readonly struct TorchThreads : IDisposable
{
    private readonly int _previous;

    public TorchThreads(int threads)
    {
        _previous = torch.get_num_threads();
        if (_previous != threads) torch.set_num_threads(threads);
    }

    public void Dispose()
    {
        if (torch.get_num_threads() != _previous) torch.set_num_threads(_previous);
    }
}
