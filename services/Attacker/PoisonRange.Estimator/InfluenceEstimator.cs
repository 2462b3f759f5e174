using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Influence;
using TorchSharp;
using static TorchSharp.torch;

namespace PoisonRange.Estimator;

/// <summary>One local model of the simulator ensemble: its kind, the trained model and its ensemble weight.</summary>
public sealed record LocalModel(string Kind, IRecommender Model, double Weight);

/// <summary>Progress of <see cref="InfluenceEstimator.BuildCacheAsync"/>.</summary>
public readonly record struct CacheBuildProgress(int Model, int Models, string Kind, LissaProgress Solve);

/// <summary>What building the cache did for one model.</summary>
public sealed record ModelCacheStats(string Kind, double Weight, long Parameters, bool CacheHit, LissaResult Result);

/// <summary>What building the cache did.</summary>
public sealed record CacheBuildResult(IReadOnlyList<ModelCacheStats> Models, TimeSpan Elapsed)
{
    public bool AllConverged => Models.All(m => m.Result.Status == SolveStatus.Converged);
}

/// <summary>
/// The influence outcome estimator (LOKI §3.3, Alg. 1; Koh and Liang 2017): predicts how injecting a
/// fake profile changes the target scores of every local model without retraining, and combines
/// the models by their ensemble weights (LOKI Eq. 5–6).
/// </summary>
/// <remarks>
/// <para><see cref="BuildCacheAsync"/> computes, per model and target pair (u', v'),
/// s_test = (H + λI)⁻¹ ∇θ f(u', v') by LiSSA (<see cref="Lissa"/>), H the Hessian of the model's
/// summed training objective at its trained parameters (see <see cref="IInfluenceModel"/>).
/// <see cref="ScoreProfiles"/> then predicts, per profile z (its training samples z_k),
/// Δ = Σ_m w_m Σ_targets −s_test·Σ_k ∇θ ℓ(z_k): the weighted predicted change of the summed target
/// scores. The per-sample directional derivatives s·∇ℓ(z_k) of a whole batch of profiles come from
/// two backward passes (the gradient of Σ_k c_k ℓ(z_k) with create_graph, then its dot with s
/// differentiated in c), so scoring costs about three forward passes over the profiles' samples,
/// independent of the number of targets.</para>
/// <para>Solutions are cached in an <see cref="InfluenceCache"/> under the model's checkpoint hash, the
/// training set's hash, the targets and the options, so a changed model is solved again.</para>
/// <para>TorchSharp work is serialised by a lock; the estimator may be called from any thread.</para>
/// </remarks>
public sealed class InfluenceEstimator : IDisposable
{
    private const int ScoreChunk = 256;

    /// <summary>An owned alpha of 1 for add/add_ (a temporary scalar may be freed by the GC while libtorch still reads it).</summary>
    private static readonly Scalar One = 1.0.ToScalar();

    private readonly LocalModel[] _models;
    private readonly InteractionDataset _train;
    private readonly TargetPair[] _targets;
    private readonly LissaOptions _options;
    private readonly InfluenceCache _cache;
    private readonly object _gate = new();
    private IInfluenceModel[]? _views;
    private Tensor[][][]? _solutions; // [model][pair][parameter]
    private Tensor[][]? _aggregate;   // [model][parameter] = Σ_pairs s_test
    private string[]? _keys;
    private bool _disposed;

    /// <param name="solvePerTarget">
    /// true (default): one s_test per target pair, which <see cref="UserRemovalInfluence"/> and
    /// <see cref="Solution"/> need. false: one solve per model for the summed target gradient
    /// Σ∇f (s_test is linear in ∇f, so <see cref="ScoreProfiles"/> is unchanged), whose cost does not
    /// grow with the number of targets.
    /// </param>
    public InfluenceEstimator(IReadOnlyList<LocalModel> models, InteractionDataset train, IReadOnlyList<TargetPair> targets, LissaOptions options,
        InfluenceCache? cache = null, bool solvePerTarget = true)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (models.Count == 0) throw new ArgumentException("At least one local model is needed.", nameof(models));
        if (targets.Count == 0) throw new ArgumentException("At least one target pair is needed.", nameof(targets));
        for (int m = 0; m < models.Count; m++)
        {
            var model = models[m] ?? throw new ArgumentException($"Local model {m} is null.", nameof(models));
            if (!double.IsFinite(model.Weight) || model.Weight < 0)
                throw new ArgumentOutOfRangeException(nameof(models), model.Weight, $"Local model {m} ({model.Kind}) has weight {model.Weight}; weights must be finite and non-negative.");
            if (!InfluenceModels.SupportedKinds.Contains(model.Model.Kind, StringComparer.OrdinalIgnoreCase))
                throw new NotSupportedException($"Local model {m} has kind '{model.Model.Kind}', which has no influence view; supported: {string.Join(", ", InfluenceModels.SupportedKinds)}.");
            if (model.Model.UserCount != train.UserCount || model.Model.ItemCount != train.ItemCount)
                throw new ArgumentException($"Local model {m} ({model.Kind}) knows {model.Model.UserCount} users and {model.Model.ItemCount} items; the training set {train} does not match.", nameof(models));
        }
        foreach (var target in targets)
            if ((uint)target.User >= (uint)train.UserCount || (uint)target.Item >= (uint)train.ItemCount)
                throw new ArgumentOutOfRangeException(nameof(targets), target, $"Target {target} is outside {train.UserCount} users × {train.ItemCount} items.");
        _models = [.. models];
        _train = train;
        _targets = [.. targets];
        _options = options;
        _cache = cache ?? new InfluenceCache();
        SolvePerTarget = solvePerTarget;
    }

    public InfluenceEstimator(IReadOnlyList<(IRecommender Model, double Weight)> models, InteractionDataset train, IReadOnlyList<TargetPair> targets,
        LissaOptions options, InfluenceCache? cache = null, bool solvePerTarget = true)
        : this(models?.Select(m => new LocalModel(m.Model.Kind, m.Model, m.Weight)).ToArray() ?? throw new ArgumentNullException(nameof(models)),
            train, targets, options, cache, solvePerTarget)
    {
    }

    /// <summary>Whether s_test is kept per target pair (else one solve for the summed targets).</summary>
    public bool SolvePerTarget { get; }

    public IReadOnlyList<TargetPair> Targets => _targets;
    public IReadOnlyList<LocalModel> Models => _models;
    public LissaOptions Options => _options;
    public bool IsBuilt => _solutions is not null;

    /// <summary>The cache keys of the models (after <see cref="BuildCacheAsync"/>).</summary>
    public IReadOnlyList<string> CacheKeys => _keys ?? [];

    /// <summary>Computes (or takes from the cache) s_test for every model and target pair.</summary>
    public Task<CacheBuildResult> BuildCacheAsync(IProgress<CacheBuildProgress>? progress = null, CancellationToken cancellationToken = default)
        => Task.Factory.StartNew(() => BuildCache(progress, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private CacheBuildResult BuildCache(IProgress<CacheBuildProgress>? progress, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var stopwatch = Stopwatch.StartNew();
            ReleaseSolutions();
            string datasetFingerprint = InfluenceCache.DatasetFingerprint(_train);
            var views = new IInfluenceModel[_models.Length];
            var solutions = new Tensor[_models.Length][][];
            var keys = new string[_models.Length];
            var stats = new List<ModelCacheStats>();
            try
            {
                for (int m = 0; m < _models.Length; m++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var local = _models[m];
                    views[m] = InfluenceModels.Create(local.Model, _train, _options.Seed);
                    keys[m] = InfluenceCache.Key(InfluenceCache.ModelFingerprint(local.Model), datasetFingerprint, _targets, _options)
                        + (SolvePerTarget ? "|per-target" : "|summed");
                    var shapes = views[m].Parameters.Select(p => p.shape).ToArray();
                    if (_cache.TryGet(keys[m], out var cached))
                    {
                        solutions[m] = cached.Solutions.Select(flat => Unflatten(flat, shapes)).ToArray();
                        stats.Add(new ModelCacheStats(local.Kind, local.Weight, views[m].ParameterCount, true, cached.Result));
                        continue;
                    }
                    // Summed mode: ∇θ Σ f(u', v') in one backward pass, not one pass per pair.
                    var gradients = SolvePerTarget ? TargetGradients(views[m]) : [SummedTargetGradient(views[m])];
                    int index = m;
                    var solveProgress = progress is null ? null : new SyncProgress<LissaProgress>(p => progress.Report(new CacheBuildProgress(index + 1, _models.Length, local.Kind, p)));
                    var (solved, result) = Lissa.Solve(views[m], gradients, _options, solveProgress, cancellationToken);
                    foreach (var g in gradients) foreach (var t in g) t.Dispose();
                    solutions[m] = solved;
                    if (result.Status != SolveStatus.Diverged)
                        _cache.Put(new CachedSolutions(keys[m], solved.Select(Flatten).ToArray(), result));
                    stats.Add(new ModelCacheStats(local.Kind, local.Weight, views[m].ParameterCount, false, result));
                }
            }
            catch
            {
                foreach (var view in views) view?.Dispose();
                foreach (var model in solutions) foreach (var pair in model ?? []) foreach (var t in pair) t.Dispose();
                throw;
            }
            _views = views;
            _solutions = solutions;
            _keys = keys;
            _aggregate = solutions.Select(model =>
            {
                var sum = model[0].Select(t => t.clone().DetachFromDisposeScope()).ToArray();
                for (int k = 1; k < model.Length; k++)
                    for (int p = 0; p < sum.Length; p++) sum[p].add_(model[k][p], One);
                return sum;
            }).ToArray();
            return new CacheBuildResult(stats, stopwatch.Elapsed);
        }
    }

    /// <summary>∇θ f(u', v') for every target pair, detached.</summary>
    private Tensor[][] TargetGradients(IInfluenceModel view)
    {
        using var scope = NewDisposeScope();
        var scores = view.TargetScores(_targets);
        var result = new Tensor[_targets.Length][];
        for (int k = 0; k < _targets.Length; k++)
        {
            var gradient = autograd.grad([scores[k]], view.Parameters.ToArray(), retain_graph: true, allow_unused: true);
            result[k] = new Tensor[view.Parameters.Count];
            for (int p = 0; p < result[k].Length; p++)
            {
                var g = gradient[p];
                result[k][p] = (g is null || g.IsInvalid ? zeros_like(view.Parameters[p]) : g.detach().clone()).DetachFromDisposeScope();
            }
        }
        return result;
    }

    /// <summary>∇θ Σ_pairs f(u', v'), detached: one backward pass whatever the number of pairs.</summary>
    private Tensor[] SummedTargetGradient(IInfluenceModel view)
    {
        using var scope = NewDisposeScope();
        var scores = view.TargetScores(_targets);
        var total = scores.sum();
        var gradient = autograd.grad([total], view.Parameters.ToArray(), allow_unused: true);
        var result = new Tensor[view.Parameters.Count];
        for (int p = 0; p < result.Length; p++)
        {
            var g = gradient[p];
            result[p] = (g is null || g.IsInvalid ? zeros_like(view.Parameters[p]) : g.detach().clone()).DetachFromDisposeScope();
        }
        return result;
    }

    /// <summary>
    /// Predicted change of the summed target scores from injecting each profile (one account's
    /// ordered items), weighted over the models: Σ_m w_m Σ_pairs −s_test·∇θ L(profile). Batched.
    /// </summary>
    public double[] ScoreProfiles(IReadOnlyList<int[]> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        lock (_gate)
        {
            var (views, aggregate) = RequireBuilt();
            var result = new double[profiles.Count];
            for (int start = 0; start < profiles.Count; start += ScoreChunk)
            {
                var chunk = profiles.Skip(start).Take(ScoreChunk).ToArray();
                for (int m = 0; m < views.Length; m++)
                {
                    if (_models[m].Weight == 0) continue;
                    using var scope = NewDisposeScope();
                    using var batch = views[m].ProfileSamples(chunk);
                    var derivatives = GroupDirectionalDerivatives(views[m], batch, [aggregate[m]])[0];
                    for (int g = 0; g < chunk.Length; g++) result[start + g] -= _models[m].Weight * derivatives[g];
                }
            }
            return result;
        }
    }

    /// <summary>
    /// The influence of removing training user <paramref name="user"/> on the prediction at
    /// <paramref name="targetItem"/> (Fang et al. 2020, Eq. 8–13): π(k, t) = Σ_{j∈Ω_k} Σ_o |Φ((k,j),(o,t))|
    /// with Φ = s_test(o, t)·∇θ ℓ((k, j)) in the summed objective (Eq. 12 with its 1/|E| absorbed),
    /// o over the cached target users of item t, weighted over the models.
    /// </summary>
    public double UserRemovalInfluence(int user, int targetItem)
    {
        lock (_gate)
        {
            var (views, _) = RequireBuilt();
            if ((uint)user >= (uint)_train.UserCount)
                throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{_train.UserCount - 1}.");
            if (!SolvePerTarget)
                throw new InvalidOperationException("User-removal influence needs s_test per target pair; this estimator solved for the summed targets.");
            var pairs = Enumerable.Range(0, _targets.Length).Where(k => _targets[k].Item == targetItem).ToArray();
            if (pairs.Length == 0)
                throw new ArgumentException($"Item {targetItem} is not the item of any cached target pair.", nameof(targetItem));
            double total = 0;
            for (int m = 0; m < views.Length; m++)
            {
                if (_models[m].Weight == 0) continue;
                using var scope = NewDisposeScope();
                using var batch = views[m].UserSamples(user);
                if (batch.Count == 0) continue;
                var perSample = SampleDirectionalDerivatives(views[m], batch, pairs.Select(k => _solutions![m][k]).ToArray());
                double sum = 0;
                foreach (var row in perSample) foreach (var value in row) sum += Math.Abs(value);
                total += _models[m].Weight * sum;
            }
            return total;
        }
    }

    /// <summary>For every direction s: the per-group sums Σ_{k∈g} s·∇θ ℓ(z_k).</summary>
    private static double[][] GroupDirectionalDerivatives(IInfluenceModel view, SampleBatch batch, IReadOnlyList<Tensor[]> directions)
    {
        if (batch.Count == 0) return directions.Select(_ => new double[batch.Groups]).ToArray();
        var c = ones(batch.Groups, float64).requires_grad_(true);
        var perSample = c.index_select(0, tensor(batch.GroupOfSample.Select(g => (long)g).ToArray()));
        return Directional(view, batch, perSample, c, directions);
    }

    /// <summary>For every direction s: the per-sample s·∇θ ℓ(z_k).</summary>
    private static double[][] SampleDirectionalDerivatives(IInfluenceModel view, SampleBatch batch, IReadOnlyList<Tensor[]> directions)
    {
        var c = ones(batch.Count, float64).requires_grad_(true);
        return Directional(view, batch, c, c, directions);
    }

    private static double[][] Directional(IInfluenceModel view, SampleBatch batch, Tensor weights, Tensor leaf, IReadOnlyList<Tensor[]> directions)
    {
        var losses = view.SampleLosses(batch);
        var weighted = losses.mul(weights).sum();
        // Every parameter enters the graph (a zero term), so the gradient is defined for all of them.
        foreach (var p in view.Parameters) weighted = weighted.add(p.sum().mul(zeros(1, float64).sum()), One);
        var gradient = autograd.grad([weighted], view.Parameters.ToArray(), create_graph: true, retain_graph: true);
        var result = new double[directions.Count][];
        for (int d = 0; d < directions.Count; d++)
        {
            var dot = Lissa.Dot(gradient, directions[d]);
            var derivative = autograd.grad([dot], [leaf], retain_graph: true, allow_unused: true)[0];
            result[d] = derivative is null || derivative.IsInvalid
                ? new double[leaf.shape[0]]
                : derivative.detach().contiguous().data<double>().ToArray();
        }
        return result;
    }

    /// <summary>The cached s_test of one model and target pair, flattened over the parameters (tests and diagnostics).</summary>
    public double[] Solution(int model, int pair)
    {
        lock (_gate)
        {
            RequireBuilt();
            if (!SolvePerTarget) throw new InvalidOperationException("This estimator solved for the summed targets; there is no per-pair solution.");
            return Flatten(_solutions![model][pair]);
        }
    }

    private (IInfluenceModel[] Views, Tensor[][] Aggregate) RequireBuilt()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_views is null || _aggregate is null)
            throw new InvalidOperationException("The estimator's cache is not built; call BuildCacheAsync first.");
        return (_views, _aggregate);
    }

    private static double[] Flatten(Tensor[] parts)
    {
        var values = new double[parts.Sum(p => p.numel())];
        int offset = 0;
        foreach (var part in parts)
        {
            var data = part.contiguous().data<double>();
            data.CopyTo(values, offset);
            offset += (int)part.numel();
        }
        return values;
    }

    private static Tensor[] Unflatten(double[] values, long[][] shapes)
    {
        var parts = new Tensor[shapes.Length];
        long offset = 0;
        for (int p = 0; p < shapes.Length; p++)
        {
            long size = shapes[p].Aggregate(1L, (a, b) => a * b);
            parts[p] = tensor(values.AsSpan((int)offset, (int)size).ToArray(), shapes[p], float64).DetachFromDisposeScope();
            offset += size;
        }
        return parts;
    }

    private void ReleaseSolutions()
    {
        foreach (var view in _views ?? []) view.Dispose();
        foreach (var model in _solutions ?? []) foreach (var pair in model) foreach (var t in pair) t.Dispose();
        foreach (var model in _aggregate ?? []) foreach (var t in model) t.Dispose();
        _views = null;
        _solutions = null;
        _aggregate = null;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            ReleaseSolutions();
            _disposed = true;
        }
    }
}
