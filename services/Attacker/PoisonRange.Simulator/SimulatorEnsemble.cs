using PoisonRange.Data;
using PoisonRange.Recommenders;

namespace PoisonRange.Simulator;

/// <summary>One local model of the ensemble with its weight (the weights sum to one).</summary>
public sealed record LocalModel(string Kind, IRecommender Model, double Weight);

/// <summary>The ensemble's ranking of a history and each local model's own ranking (internal item ids, best first).</summary>
public sealed record EnsembleRanking(int[] Ensemble, IReadOnlyList<int[]> PerModel);

/// <summary>One local model's checkpoint in a <see cref="SimulatorSnapshot"/>.</summary>
public sealed record ModelCheckpoint(string Kind, double Weight, byte[] Checkpoint, IReadOnlyDictionary<string, string>? HyperParameters);

/// <summary>
/// Everything another component needs to rebuild the ensemble without the platform: each
/// model's checkpoint bytes, kind and weight, the crawled training set, the agreement figures
/// and what the build spent.
/// </summary>
public sealed record SimulatorSnapshot(
    IReadOnlyList<ModelCheckpoint> Models,
    InteractionDataset Train,
    SimulatorAgreement Agreement,
    SimulatorSpend Spend,
    int K,
    int VoteDepth,
    ulong Seed);

/// <summary>
/// The recommender simulator (LOKI §3.2): local models trained on the crawled public data whose
/// weighted vote imitates the platform. Owns its models; scoring is thread-safe.
/// </summary>
public sealed class SimulatorEnsemble : IDisposable
{
    private readonly IReadOnlyDictionary<string, string>?[] _hyperParameters;
    private readonly double[] _weights;
    private bool _disposed;

    public SimulatorEnsemble(
        IReadOnlyList<LocalModel> models,
        IReadOnlyList<IReadOnlyDictionary<string, string>?> hyperParameters,
        InteractionDataset train,
        SimulatorAgreement agreement,
        SimulatorSpend spend,
        int k,
        int voteDepth,
        ulong seed,
        int threads = 1,
        IReadOnlyList<string>? probeAccounts = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(train);
        if (models.Count == 0) throw new ArgumentException("An ensemble needs at least one model.", nameof(models));
        if (hyperParameters.Count != models.Count) throw new ArgumentException("One hyper-parameter set per model is required.", nameof(hyperParameters));
        foreach (var m in models)
        {
            if (!(m.Weight >= 0)) throw new ArgumentException($"Model {m.Kind} has weight {m.Weight}; weights must be non-negative.", nameof(models));
            if (m.Model.ItemCount != train.ItemCount)
                throw new ArgumentException($"Model {m.Kind} scores {m.Model.ItemCount} items but the training set has {train.ItemCount}.", nameof(models));
        }
        double sum = models.Sum(m => m.Weight);
        if (Math.Abs(sum - 1) > 1e-6) throw new ArgumentException($"The weights sum to {sum}, not 1.", nameof(models));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(voteDepth, k);
        Models = models;
        _hyperParameters = [.. hyperParameters];
        _weights = models.Select(m => m.Weight).ToArray();
        Train = train;
        Agreement = agreement;
        Spend = spend;
        K = k;
        VoteDepth = voteDepth;
        Seed = seed;
        Threads = Math.Max(1, threads);
        ProbeAccounts = probeAccounts ?? [];
    }

    public IReadOnlyList<LocalModel> Models { get; }

    /// <summary>The crawled view the models trained on: attacker-internal ids, external ids kept.</summary>
    public InteractionDataset Train { get; }

    public SimulatorAgreement Agreement { get; }
    public SimulatorSpend Spend { get; }

    /// <summary>K of the probes (the list length the weights were fitted on).</summary>
    public int K { get; }

    /// <summary>Depth of each model's list in the weighted vote (see <see cref="EnsembleVote"/>).</summary>
    public int VoteDepth { get; }

    public ulong Seed { get; }
    public int Threads { get; }

    /// <summary>The platform accounts the probes registered; leave them out of later crawls.</summary>
    public IReadOnlyList<string> ProbeAccounts { get; }

    /// <summary>The weights in model order.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>
    /// The ensemble's top-<paramref name="k"/> for an ordered history of internal item ids (fold-in)
    /// and each model's own top-<paramref name="k"/>; the history's items are excluded.
    /// </summary>
    public EnsembleRanking RankHistory(ReadOnlySpan<int> history, int k)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        foreach (var item in history)
            if ((uint)item >= (uint)Train.ItemCount)
                throw new ArgumentOutOfRangeException(nameof(history), item, $"Item index {item} is outside 0..{Train.ItemCount - 1}.");
        int depth = Math.Max(VoteDepth, k);
        var lists = new int[Models.Count][];
        for (int m = 0; m < Models.Count; m++)
            lists[m] = ProbeScores.Rank(Models[m].Model, history, depth);
        var ensemble = EnsembleVote.TopK(lists, _weights, depth, k);
        return new EnsembleRanking(ensemble, lists.Select(l => l.Length > k ? l[..k] : l).ToArray());
    }

    /// <summary>
    /// <see cref="RankHistory(ReadOnlySpan{int}, int)"/> for external (platform) item ids;
    /// throws <see cref="KeyNotFoundException"/> naming the first unknown item.
    /// </summary>
    public EnsembleRanking RankHistory(IEnumerable<string> itemIds, int k) => RankHistory(ToInternal(itemIds), k);

    /// <summary>Internal ids of platform item ids; throws <see cref="KeyNotFoundException"/> naming the first unknown one.</summary>
    public int[] ToInternal(IEnumerable<string> itemIds)
    {
        ArgumentNullException.ThrowIfNull(itemIds);
        var result = new List<int>();
        foreach (var id in itemIds)
            result.Add(Train.TryGetItem(id, out var item) ? item : throw new KeyNotFoundException($"Item '{id}' is not in the crawled catalogue."));
        return [.. result];
    }

    /// <summary>The checkpoints, weights and training set, for the estimator or another process.</summary>
    public SimulatorSnapshot ToSnapshot()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var checkpoints = new ModelCheckpoint[Models.Count];
        for (int m = 0; m < Models.Count; m++)
        {
            using var buffer = new MemoryStream();
            Models[m].Model.Save(buffer);
            checkpoints[m] = new ModelCheckpoint(Models[m].Kind, Models[m].Weight, buffer.ToArray(), _hyperParameters[m]);
        }
        return new SimulatorSnapshot(checkpoints, Train, Agreement, Spend, K, VoteDepth, Seed);
    }

    /// <summary>Restores an ensemble from a snapshot (the models load from their checkpoints).</summary>
    public static SimulatorEnsemble FromSnapshot(SimulatorSnapshot snapshot, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var models = new List<LocalModel>();
        try
        {
            foreach (var c in snapshot.Models)
            {
                using var stream = new MemoryStream(c.Checkpoint, writable: false);
                var model = RecommenderFactory.Load(stream, threads);
                models.Add(new LocalModel(c.Kind, model, c.Weight));
            }
            return new SimulatorEnsemble(models, snapshot.Models.Select(c => c.HyperParameters).ToArray(), snapshot.Train,
                snapshot.Agreement, snapshot.Spend, snapshot.K, snapshot.VoteDepth, snapshot.Seed, threads);
        }
        catch
        {
            foreach (var m in models) m.Model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <see cref="RetrainWith"/> for fake profiles given as platform item ids, saved as a
    /// checkpoint with the kind and weight of the ensemble's model of that kind.
    /// </summary>
    /// <exception cref="ArgumentException">An empty fake profile, or a kind the ensemble lacks.</exception>
    /// <exception cref="KeyNotFoundException">A fake profile holds an item outside the training set.</exception>
    public ModelCheckpoint RetrainCheckpoint(string kind, IReadOnlyList<IReadOnlyList<string>> fakeProfiles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(fakeProfiles);
        var fakes = new List<int[]>(fakeProfiles.Count);
        for (int f = 0; f < fakeProfiles.Count; f++)
        {
            if (fakeProfiles[f].Count == 0) throw new ArgumentException($"Fake profile {f} is empty.");
            try
            {
                fakes.Add(ToInternal(fakeProfiles[f]));
            }
            catch (KeyNotFoundException ex)
            {
                throw new KeyNotFoundException($"Fake profile {f}: {ex.Message}", ex);
            }
        }
        var local = Models.LastOrDefault(m => string.Equals(m.Kind, kind.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"The ensemble has no '{kind}' model; its kinds are {string.Join(", ", Models.Select(m => m.Kind))}.");
        using var model = RetrainWith(kind, fakes, null, cancellationToken);
        using var buffer = new MemoryStream();
        model.Save(buffer);
        return new ModelCheckpoint(local.Kind, local.Weight, buffer.ToArray(), null);
    }

    /// <summary>
    /// A new model of <paramref name="kind"/> (one of the ensemble's kinds, with its
    /// hyper-parameters and seed) trained on the crawled data plus <paramref name="fakeProfiles"/>
    /// (ordered internal item ids, one array per fake user, appended as users "fake-0", "fake-1", ...).
    /// The caller owns the returned model.
    /// </summary>
    public IRecommender RetrainWith(string kind, IEnumerable<int[]> fakeProfiles, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(fakeProfiles);
        int index = -1;
        for (int m = 0; m < Models.Count; m++)
            if (string.Equals(Models[m].Kind, kind.Trim(), StringComparison.OrdinalIgnoreCase)) index = m;
        if (index < 0)
            throw new ArgumentException($"The ensemble has no '{kind}' model; its kinds are {string.Join(", ", Models.Select(m => m.Kind))}.", nameof(kind));
        var data = WithFakes(Train, fakeProfiles);
        var model = RecommenderFactory.Create(Models[index].Kind, _hyperParameters[index], SimulatorBuilder.ModelSeed(Seed, index), Threads);
        try
        {
            model.Fit(data, progress, cancellationToken);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The training set with fake users appended (ids "fake-0", ...); timestamps continue after the data's last one.</summary>
    public static InteractionDataset WithFakes(InteractionDataset train, IEnumerable<int[]> fakeProfiles)
    {
        var fakes = fakeProfiles.ToArray();
        for (int f = 0; f < fakes.Length; f++)
        {
            if (fakes[f] is null || fakes[f].Length == 0) throw new ArgumentException($"Fake profile {f} is empty.", nameof(fakeProfiles));
            foreach (var item in fakes[f])
                if ((uint)item >= (uint)train.ItemCount)
                    throw new ArgumentException($"Fake profile {f} has item index {item}, outside 0..{train.ItemCount - 1}.", nameof(fakeProfiles));
        }
        var users = train.UserIds.Concat(Enumerable.Range(0, fakes.Length).Select(f => $"fake-{f}")).ToArray();
        var sequences = train.Sequences.Concat(fakes.Select(f => (int[])f.Clone())).ToArray();
        long[][]? timestamps = null;
        if (train.Timestamps is { } ts)
        {
            long last = ts.Where(t => t.Length > 0).Select(t => t[^1]).DefaultIfEmpty(0).Max();
            timestamps = ts.Concat(fakes.Select(f => Enumerable.Range(1, f.Length).Select(i => last + i).ToArray())).ToArray();
        }
        float[][]? ratings = null;
        if (train.Ratings is { } rs)
        {
            // Fake users rate every item they touch with the data's highest rating.
            float top = rs.SelectMany(r => r).Where(float.IsFinite).DefaultIfEmpty(1f).Max();
            ratings = rs.Concat(fakes.Select(f => Enumerable.Repeat(top, f.Length).ToArray())).ToArray();
        }
        return new InteractionDataset(train.Name + "+fakes", users, train.ItemIds, sequences, timestamps, ratings);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var m in Models) m.Model.Dispose();
    }
}
