namespace PoisonRange.Recommenders.Training;

/// <summary>
/// The hyper-parameters the models trained by <see cref="PairwiseRankingLoop"/> share (BPR-MF,
/// FPMC, TransRec): latent dimension, the mini-batch schedule and update rule, the L2 penalty per
/// sample, the initialisation, the fold-in ridge, the seed and the thread count. Each record passes
/// its own defaults (documented with its <c>Defaults</c> constants); every value is checked when it
/// is set, and an error names the concrete record (<c>FpmcOptions.Epochs must be …</c>).
/// </summary>
public abstract record PairwiseRankingOptions : TrainedModelOptions
{
    private readonly int _factors;
    private readonly int _epochs;
    private readonly int _batchSize;
    private readonly double _learningRate;
    private readonly double _l2;
    private readonly OptimizerKind _optimizer;
    private readonly double _initStd;
    private readonly double _foldInL2;

    private protected PairwiseRankingOptions(int factors, int epochs, int batchSize, double learningRate, double l2,
        OptimizerKind optimizer, double initStd, double foldInL2, ulong seed, int threads)
        : base(seed, threads)
    {
        _factors = factors;
        _epochs = epochs;
        _batchSize = batchSize;
        _learningRate = learningRate;
        _l2 = l2;
        _optimizer = optimizer;
        _initStd = initStd;
        _foldInL2 = foldInL2;
    }

    /// <summary>Latent dimension d of the model's embeddings (1..4096).</summary>
    public int Factors
    {
        get => _factors;
        init => _factors = OptionChecks.Range(value, 1, 4096, Record, nameof(Factors));
    }

    /// <summary>Passes over the training samples (0..100000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 100_000, Record, nameof(Epochs));
    }

    /// <summary>Samples (each with one sampled negative item) per gradient step (1..1048576).</summary>
    public int BatchSize
    {
        get => _batchSize;
        init => _batchSize = OptionChecks.Range(value, 1, 1 << 20, Record, nameof(BatchSize));
    }

    /// <summary>Step size of the optimizer (0 &lt; value ≤ 10).</summary>
    public double LearningRate
    {
        get => _learningRate;
        init => _learningRate = OptionChecks.Positive(value, 10, Record, nameof(LearningRate));
    }

    /// <summary>L2 penalty λ per sample on the parameters the sample touches (0 ≤ value ≤ 10).</summary>
    public double L2
    {
        get => _l2;
        init => _l2 = OptionChecks.NonNegative(value, 10, Record, nameof(L2));
    }

    /// <summary>The update rule.</summary>
    public OptimizerKind Optimizer
    {
        get => _optimizer;
        init => _optimizer = OptionChecks.Defined(value, Record, nameof(Optimizer));
    }

    /// <summary>Standard deviation of the normal initialisation of the embeddings (0 &lt; value ≤ 10); biases and translations start at 0.</summary>
    public double InitStd
    {
        get => _initStd;
        init => _initStd = OptionChecks.Positive(value, 10, Record, nameof(InitStd));
    }

    /// <summary>Ridge strength of the fold-in of an unseen history, relative to the mean eigenvalue of the solve's covariance (0 &lt; value ≤ 1e6).</summary>
    public double FoldInL2
    {
        get => _foldInL2;
        init => _foldInL2 = OptionChecks.Positive(value, 1e6, Record, nameof(FoldInL2));
    }
}
