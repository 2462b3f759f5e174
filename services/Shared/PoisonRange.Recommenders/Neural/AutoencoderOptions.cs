namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// The hyper-parameters the autoencoder family (<see cref="ItemAeOptions"/>,
/// <see cref="MultVaeOptions"/>) shares: code size, the Adam schedule, the seed and the thread
/// count. Each record passes its own defaults; every value is checked when it is set, and an
/// error names the concrete record (<c>ItemAeOptions.Epochs must be …</c>).
/// </summary>
public abstract record AutoencoderOptions
{
    private readonly int _latentDim;
    private readonly int _epochs;
    private readonly int _batchSize;
    private readonly double _learningRate;
    private readonly double _l2;
    private readonly int _threads;

    private protected AutoencoderOptions(int latentDim, int epochs, int batchSize, double learningRate, double l2, ulong seed, int threads)
    {
        _latentDim = latentDim;
        _epochs = epochs;
        _batchSize = batchSize;
        _learningRate = learningRate;
        _l2 = l2;
        Seed = seed;
        _threads = threads;
    }

    /// <summary>The record's name in error messages.</summary>
    private protected string Owner => GetType().Name;

    /// <summary>Dimension of the bottleneck code (1..4096).</summary>
    public int LatentDim
    {
        get => _latentDim;
        init => _latentDim = OptionChecks.Range(value, 1, 4096, Owner, nameof(LatentDim));
    }

    /// <summary>Passes over the training rows: items for ItemAE, users for Mult-VAE (0..100000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 100_000, Owner, nameof(Epochs));
    }

    /// <summary>Rows (items for ItemAE, users for Mult-VAE) per gradient step (1..65536).</summary>
    public int BatchSize
    {
        get => _batchSize;
        init => _batchSize = OptionChecks.Range(value, 1, 1 << 16, Owner, nameof(BatchSize));
    }

    /// <summary>Adam's step size (0 &lt; value ≤ 10).</summary>
    public double LearningRate
    {
        get => _learningRate;
        init => _learningRate = OptionChecks.Positive(value, 10, Owner, nameof(LearningRate));
    }

    /// <summary>Adam's L2 weight decay on all weights (0 ≤ value ≤ 10).</summary>
    public double L2
    {
        get => _l2;
        init => _l2 = OptionChecks.NonNegative(value, 10, Owner, nameof(L2));
    }

    /// <summary>Seeds every random draw of training (initialisation, row order and, for Mult-VAE, dropout masks and reparameterisation noise).</summary>
    public ulong Seed { get; init; }

    /// <summary>Intra-op threads of libtorch during training (1..1024). A fixed seed and thread count give identical models.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = OptionChecks.Range(value, 1, 1024, Owner, nameof(Threads));
    }
}
