using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// The hyper-parameters the autoencoder family (<see cref="ItemAeOptions"/>,
/// <see cref="MultVaeOptions"/>) shares: code size, the Adam schedule, the seed and the thread
/// count. Each record passes its own defaults; every value is checked when it is set, and an
/// error names the concrete record (<c>ItemAeOptions.Epochs must be …</c>).
/// </summary>
public abstract record AutoencoderOptions : TrainedModelOptions
{
    private readonly int _latentDim;
    private readonly int _epochs;
    private readonly int _batchSize;
    private readonly double _learningRate;
    private readonly double _l2;

    private protected AutoencoderOptions(int latentDim, int epochs, int batchSize, double learningRate, double l2, ulong seed, int threads)
        : base(seed, threads)
    {
        _latentDim = latentDim;
        _epochs = epochs;
        _batchSize = batchSize;
        _learningRate = learningRate;
        _l2 = l2;
    }

    /// <summary>Dimension of the bottleneck code (1..4096).</summary>
    public int LatentDim
    {
        get => _latentDim;
        init => _latentDim = OptionChecks.Range(value, 1, 4096, Record, nameof(LatentDim));
    }

    /// <summary>Passes over the training rows: items for ItemAE, users for Mult-VAE (0..100000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 100_000, Record, nameof(Epochs));
    }

    /// <summary>Rows (items for ItemAE, users for Mult-VAE) per gradient step (1..65536).</summary>
    public int BatchSize
    {
        get => _batchSize;
        init => _batchSize = OptionChecks.Range(value, 1, 1 << 16, Record, nameof(BatchSize));
    }

    /// <summary>Adam's step size (0 &lt; value ≤ 10).</summary>
    public double LearningRate
    {
        get => _learningRate;
        init => _learningRate = OptionChecks.Positive(value, 10, Record, nameof(LearningRate));
    }

    /// <summary>Adam's L2 weight decay on all weights (0 ≤ value ≤ 10).</summary>
    public double L2
    {
        get => _l2;
        init => _l2 = OptionChecks.NonNegative(value, 10, Record, nameof(L2));
    }
}
