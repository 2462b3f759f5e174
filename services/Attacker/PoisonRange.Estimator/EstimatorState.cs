using PoisonRange.Data;

namespace PoisonRange.Estimator;

/// <summary>The loaded ensemble and its current estimator (one per process), shared by the gRPC handlers.</summary>
public sealed class EstimatorState : IDisposable
{
    private readonly object _gate = new();
    private IReadOnlyList<LocalModel>? _models;
    private InteractionDataset? _train;
    private InfluenceEstimator? _estimator;

    /// <summary>Shared by every estimator of the process, so rebuilding for unchanged models is a cache hit.</summary>
    public InfluenceCache Cache { get; } = new();

    public void Load(IReadOnlyList<LocalModel> models, InteractionDataset train)
    {
        lock (_gate)
        {
            _estimator?.Dispose();
            _estimator = null;
            foreach (var model in _models ?? []) model.Model.Dispose();
            _models = models;
            _train = train;
        }
    }

    public (IReadOnlyList<LocalModel> Models, InteractionDataset Train)? Loaded
    {
        get
        {
            lock (_gate) return _models is null || _train is null ? null : (_models, _train);
        }
    }

    /// <summary>Installs a built estimator, disposing the previous one.</summary>
    public void Install(InfluenceEstimator estimator)
    {
        lock (_gate)
        {
            _estimator?.Dispose();
            _estimator = estimator;
        }
    }

    public InfluenceEstimator? Current
    {
        get
        {
            lock (_gate) return _estimator;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _estimator?.Dispose();
            foreach (var model in _models ?? []) model.Model.Dispose();
            _estimator = null;
            _models = null;
        }
    }
}
