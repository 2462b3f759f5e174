using System.Globalization;
using PoisonRange.Data;
using PoisonRange.Recommenders;

namespace PoisonRange.Agent.Loki;

/// <summary>Options of <see cref="RetrainProfileReward"/>.</summary>
public sealed record RetrainRewardOptions
{
    /// <summary>The local model's kind, as <see cref="RecommenderFactory"/> names it.</summary>
    public string Kind { get; init; } = "bprmf";

    /// <summary>The model's hyper-parameters (null: the model's defaults).</summary>
    public IReadOnlyDictionary<string, string>? HyperParameters { get; init; }

    public ulong Seed { get; init; } = 1;

    /// <summary>Training threads of the local model.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// Trainings per score (seeds Seed, Seed+1, ...), averaged: retraining noise shrinks with
    /// the square root of this, the cost grows with it.
    /// </summary>
    public int Repeats { get; init; } = 1;

    /// <summary>
    /// Measure a target's score relative to the user's mean score over the catalogue, so that a
    /// retrain that shifts every score alike does not count as influence.
    /// </summary>
    public bool Centered { get; init; } = true;

    /// <summary>Profiles whose score is remembered (the incremental reward scores every prefix).</summary>
    public int CacheSize { get; init; } = 4096;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Kind)) throw new ArgumentException("The retrain reward needs a recommender kind.");
        if (Threads < 1) throw new ArgumentException($"threads must be at least 1, got {Threads}.");
        if (Repeats < 1) throw new ArgumentException($"repeats must be at least 1, got {Repeats}.");
        if (CacheSize < 0) throw new ArgumentException($"cache size must not be negative, got {CacheSize}.");
    }
}

/// <summary>
/// LOKI's "retrain" reference reward (§4.6): for each candidate profile, trains a local
/// recommender from <see cref="RecommenderFactory"/> on the view plus the profile as one new
/// user and returns the change of the mean score of the target items for the target users (all
/// users when none are given) against the same model trained on the view plus an empty user (so
/// that both trainings draw their initial parameters alike and only the profile differs). Exact for
/// the model it trains and slow: one training per profile and repeat. Use it at tiny scale, in
/// tests, and to check the influence estimator.
/// For a model trained by SGD with a seeded stream (BPR-MF), profiles of one length share the
/// training's random stream (common random numbers) while the baseline, with fewer pairs, does
/// not: the reward then carries an offset that depends on the profile's length but not on its
/// items (on ML-100K, 5 epochs: about −0.037, against a spread of ±0.0003 between random
/// profiles and +0.005 for a profile of targets; docs/benchmarks.md). The offset is the same for
/// every action at a step, so it does not change which actions the agent prefers.
/// </summary>
public sealed class RetrainProfileReward : IProfileReward
{
    private const string ProbeUserId = "loki-probe";

    private readonly InteractionDataset _view;
    private readonly int[] _targetItems;
    private readonly int[] _targetUsers;
    private readonly RetrainRewardOptions _options;
    private readonly IProgress<AttackProgress>? _progress;
    private readonly Dictionary<string, double> _cache = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private double? _baseline;

    public RetrainProfileReward(InteractionDataset view, IReadOnlyList<int> targetItems, IReadOnlyList<int> targetUsers, RetrainRewardOptions? options = null, IProgress<AttackProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(targetItems);
        ArgumentNullException.ThrowIfNull(targetUsers);
        _options = options ?? new RetrainRewardOptions();
        _options.Validate();
        if (targetItems.Count == 0) throw new ArgumentException("The retrain reward needs at least one target item.");
        foreach (var t in targetItems)
            if ((uint)t >= (uint)view.ItemCount) throw new ArgumentException($"Target item index {t} is outside the catalogue (0..{view.ItemCount - 1}).");
        foreach (var u in targetUsers)
            if ((uint)u >= (uint)view.UserCount) throw new ArgumentException($"Target user index {u} is outside the view (0..{view.UserCount - 1}).");
        if (view.UserCount == 0) throw new ArgumentException("The view has no users to train on.");
        // Fails now, with the factory's message, on an unknown kind or bad hyper-parameters.
        RecommenderFactory.Create(_options.Kind, _options.HyperParameters, _options.Seed, _options.Threads).Dispose();
        _view = view;
        _targetItems = targetItems.Distinct().ToArray();
        _targetUsers = targetUsers.Count > 0 ? targetUsers.Distinct().ToArray() : Enumerable.Range(0, view.UserCount).ToArray();
        _progress = progress;
    }

    /// <summary>Mean (centred) target score of the model trained on the view plus an empty probe user.</summary>
    public double Baseline
    {
        get
        {
            lock (_lock) return _baseline ??= Measure(WithProbe([]), CancellationToken.None);
        }
    }

    public Task<double[]> ScoreProfilesAsync(IReadOnlyList<int[]> profiles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        for (int p = 0; p < profiles.Count; p++)
        {
            var profile = profiles[p] ?? throw new ArgumentException($"Profile {p} is null.");
            foreach (var item in profile)
                if ((uint)item >= (uint)_view.ItemCount) throw new ArgumentException($"Profile {p} holds item index {item}, outside the catalogue (0..{_view.ItemCount - 1}).");
        }
        return Task.Run(() => Score(profiles, cancellationToken), cancellationToken);
    }

    private double[] Score(IReadOnlyList<int[]> profiles, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _baseline ??= Measure(WithProbe([]), cancellationToken);
            var scores = new double[profiles.Count];
            for (int p = 0; p < profiles.Count; p++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var profile = profiles[p];
                if (profile.Length == 0) continue;
                var key = string.Join(',', profile);
                if (!_cache.TryGetValue(key, out var value))
                {
                    value = Measure(WithProbe(profile), cancellationToken) - _baseline.Value;
                    if (_cache.Count >= _options.CacheSize) _cache.Clear();
                    if (_options.CacheSize > 0) _cache[key] = value;
                }
                scores[p] = value;
                _progress?.Report(new AttackProgress("reward", p + 1, profiles.Count, $"retrain reward: {p + 1}/{profiles.Count} profiles"));
            }
            return scores;
        }
    }

    /// <summary>Mean over repeats, target users and target items of the (centred) target score.</summary>
    private double Measure(InteractionDataset train, CancellationToken cancellationToken)
    {
        double total = 0;
        var scores = new float[train.ItemCount];
        for (int repeat = 0; repeat < _options.Repeats; repeat++)
        {
            using var model = RecommenderFactory.Create(_options.Kind, _options.HyperParameters, _options.Seed + (ulong)repeat, _options.Threads);
            model.Fit(train, null, cancellationToken);
            double sum = 0;
            foreach (var user in _targetUsers)
            {
                model.ScoreUser(user, scores);
                double offset = 0;
                if (_options.Centered)
                {
                    double all = 0;
                    foreach (var s in scores) all += s;
                    offset = all / scores.Length;
                }
                double targets = 0;
                foreach (var t in _targetItems) targets += scores[t] - offset;
                sum += targets / _targetItems.Length;
            }
            total += sum / _targetUsers.Length;
        }
        return total / _options.Repeats;
    }

    /// <summary>The view with <paramref name="profile"/> as one more user, after the view's last action.</summary>
    private InteractionDataset WithProbe(int[] profile)
    {
        string id = ProbeUserId;
        for (int k = 1; _view.TryGetUser(id, out _); k++) id = string.Create(CultureInfo.InvariantCulture, $"{ProbeUserId}-{k}");
        var userIds = _view.UserIds.Append(id).ToArray();
        var sequences = _view.Sequences.Append(profile.ToArray()).ToArray();
        long[][]? timestamps = null;
        if (_view.Timestamps is { } ts)
        {
            long start = Strategies.ProfileComposer.DefaultStart(_view, Strategies.ProfileComposer.DefaultStepMs);
            var probeTimes = new long[profile.Length];
            for (int j = 0; j < probeTimes.Length; j++) probeTimes[j] = start + j * Strategies.ProfileComposer.DefaultStepMs;
            timestamps = ts.Append(probeTimes).ToArray();
        }
        float[][]? ratings = null;
        if (_view.Ratings is { } rs)
        {
            float max = rs.SelectMany(r => r).DefaultIfEmpty(1f).Max();
            ratings = rs.Append(Enumerable.Repeat(max, profile.Length).ToArray()).ToArray();
        }
        return new InteractionDataset(_view.Name + "+probe", userIds, _view.ItemIds, sequences, timestamps, ratings);
    }
}
