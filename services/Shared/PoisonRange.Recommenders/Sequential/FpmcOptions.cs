using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// Settings of <see cref="Fpmc"/>. Every value is checked when it is set, so an invalid record
/// cannot be built: an <see cref="ArgumentOutOfRangeException"/> names the option and the bad value.
/// The factory binds the same names from scenario hyper-parameters (Seed and Threads come from
/// the factory's own arguments).
/// </summary>
/// <remarks>
/// Defaults: one dimension d for both factor pairs (the paper uses k_UI = k_IL), 64 as in the
/// zoo's other latent models; S-BPR with one uniformly drawn negative per transition, L2 on the
/// parameters a sample touches and Gaussian initialisation as in the paper; an item bias as the
/// zoo's BPR-MF has (the paper has none; without it ML-100K HR@10 is 0.173 instead of 0.179);
/// Adam instead of the paper's plain SGD so that ML-100K trains in seconds. Learning rate, λ,
/// epochs (more over-fit slightly) and the fold-in ridge were chosen on ML-100K leave-last-out.
/// </remarks>
public sealed record FpmcOptions : IModelOptions<FpmcOptions>
{
    private const string Record = nameof(FpmcOptions);

    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        public const int Factors = 64;
        public const int Epochs = 10;
        public const int BatchSize = 1024;
        public const double LearningRate = 0.005;
        public const double L2 = 1e-4;
        public const bool UseItemBias = true;
        public const OptimizerKind Optimizer = OptimizerKind.Adam;
        public const double InitStd = 0.1;
        public const double FoldInL2 = 3;
        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    private readonly int _factors = Defaults.Factors;
    private readonly int _epochs = Defaults.Epochs;
    private readonly int _batchSize = Defaults.BatchSize;
    private readonly double _learningRate = Defaults.LearningRate;
    private readonly double _l2 = Defaults.L2;
    private readonly OptimizerKind _optimizer = Defaults.Optimizer;
    private readonly double _initStd = Defaults.InitStd;
    private readonly double _foldInL2 = Defaults.FoldInL2;
    private readonly int _threads = Defaults.Threads;

    /// <summary>Dimension d of both factor pairs, user–item (V^{U,I}, V^{I,U}) and item–item (V^{I,L}, V^{L,I}) (1..4096).</summary>
    public int Factors
    {
        get => _factors;
        init => _factors = OptionChecks.Range(value, 1, 4096, Record, nameof(Factors));
    }

    /// <summary>Passes over the training transitions (0..100000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 100_000, Record, nameof(Epochs));
    }

    /// <summary>(user, previous item, next item, negative item) samples per gradient step (1..1048576).</summary>
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

    /// <summary>
    /// L2 penalty λ per sample on the factors (and biases) the sample touches, as in S-BPR's
    /// regularised objective (0 ≤ value ≤ 10).
    /// </summary>
    public double L2
    {
        get => _l2;
        init => _l2 = OptionChecks.NonNegative(value, 10, Record, nameof(L2));
    }

    /// <summary>Whether items carry a learned bias b_j added to their score (not in the paper; it absorbs popularity).</summary>
    public bool UseItemBias { get; init; } = Defaults.UseItemBias;

    /// <summary>The update rule.</summary>
    public OptimizerKind Optimizer
    {
        get => _optimizer;
        init => _optimizer = OptionChecks.Defined(value, Record, nameof(Optimizer));
    }

    /// <summary>Standard deviation of the normal initialisation of the factors (0 &lt; value ≤ 10); biases start at 0.</summary>
    public double InitStd
    {
        get => _initStd;
        init => _initStd = OptionChecks.Positive(value, 10, Record, nameof(InitStd));
    }

    /// <summary>
    /// Ridge strength of the fold-in of the user factor for unseen histories, relative to the mean
    /// eigenvalue of the covariance of V^{I,U} (0 &lt; value ≤ 1e6), as in BPR-MF's fold-in. Larger
    /// values shrink folded-in users towards the transition and bias ranking. The default 3 was
    /// chosen on ML-100K leave-last-out, where weaker ridges over-fit short histories (fold-in HR@10
    /// 0.09 at 0.01, 0.13 at 0.1, 0.175 at 3 against 0.179 for the trained users).
    /// </summary>
    public double FoldInL2
    {
        get => _foldInL2;
        init => _foldInL2 = OptionChecks.Positive(value, 1e6, Record, nameof(FoldInL2));
    }

    /// <summary>Seeds the initialisation, the shuffling and the negative sampling.</summary>
    public ulong Seed { get; init; } = Defaults.Seed;

    /// <summary>Intra-op threads of libtorch during training (1..1024). A fixed seed and thread count give identical models.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = OptionChecks.Range(value, 1, 1024, Record, nameof(Threads));
    }

    FpmcOptions IModelOptions<FpmcOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
