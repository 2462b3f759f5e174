namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// Settings of <see cref="Cml"/>. Defaults follow Tang et al. 2020 (Table 1: dimension 256; their
/// released configuration: 10 sampled negatives, Adam 1e-3, batch 512) and Hsieh et al. 2017 (points
/// in the unit ball, WARP-style rank weights, the closest sampled negative) except where noted.
/// Every value is checked when it is set.
/// </summary>
public sealed record CmlOptions : IModelOptions<CmlOptions>
{
    private const string Owner = nameof(CmlOptions);

    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        /// <summary>Tang et al. 2020, Table 1.</summary>
        public const int Factors = 256;

        /// <summary>
        /// Hinge margin on squared distances. Tang et al.'s margin of 10 applies to their unconstrained
        /// embeddings; within Hsieh et al.'s unit ball (squared distances at most 4) it would keep every
        /// negative active, so the default was measured instead (seed 1; ML-100K leave-last-out HR@10,
        /// ML-100K and Gowalla-sample Recall@50 of the 80/20 split): margin 0.5 gave 0.153, 0.506 and
        /// 0.156 (Gowalla close to PopRec's 0.107), 1 gave 0.153, 0.544, 0.268, 1.5 gives 0.147, 0.535,
        /// 0.295 and 2 gave 0.129, 0.526, 0.293. A larger Adam step instead of a larger margin fits
        /// ML-100K worse (3e-3: 0.142, 0.488; Gowalla 0.232).
        /// </summary>
        public const double Margin = 1.5;

        /// <summary>Sampled negatives per positive, the closest of which enters the hinge (Tang et al.'s released configuration).</summary>
        public const int Negatives = 10;

        /// <summary>Hsieh et al. 2017: weight each pair by log(1 + estimated rank of the positive).</summary>
        public const bool UseRankWeight = true;

        /// <summary>Weight of Hsieh et al.'s covariance regulariser (optional there; off by default).</summary>
        public const double CovarianceWeight = 0;

        /// <summary>Passes over the positive pairs (Tang et al. train 100; on ML-100K 30 reach HR@10 0.152, above BPR-MF).</summary>
        public const int Epochs = 30;

        /// <summary>Positive pairs per gradient step (Tang et al.'s released configuration).</summary>
        public const int BatchSize = 512;

        /// <summary>Tang et al.'s released configuration (Adam).</summary>
        public const double LearningRate = 1e-3;

        /// <summary>Projected subgradient steps of the fold-in (on ML-100K: the centroid alone 0.127, 10 steps 0.147, 20 steps 0.152, as good as the trained users).</summary>
        public const int FoldInSteps = 20;

        /// <summary>First step length of the fold-in, in distance units (the unit ball has diameter 2); later steps shrink as 1/√t.</summary>
        public const double FoldInStepSize = 0.1;

        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    private readonly int _factors = Defaults.Factors;
    private readonly double _margin = Defaults.Margin;
    private readonly int _negatives = Defaults.Negatives;
    private readonly double _covarianceWeight = Defaults.CovarianceWeight;
    private readonly int _epochs = Defaults.Epochs;
    private readonly int _batchSize = Defaults.BatchSize;
    private readonly double _learningRate = Defaults.LearningRate;
    private readonly int _foldInSteps = Defaults.FoldInSteps;
    private readonly double _foldInStepSize = Defaults.FoldInStepSize;
    private readonly int _threads = Defaults.Threads;

    /// <summary>Dimension of the metric space (1..4096).</summary>
    public int Factors
    {
        get => _factors;
        init => _factors = OptionChecks.Range(value, 1, 4096, Owner, nameof(Factors));
    }

    /// <summary>Margin m of the hinge [m + d(u, i)² − d(u, j)²]₊ (0 &lt; value ≤ 4, the largest squared distance in the unit ball).</summary>
    public double Margin
    {
        get => _margin;
        init => _margin = OptionChecks.Positive(value, 4, Owner, nameof(Margin));
    }

    /// <summary>Negatives drawn uniformly from the user's non-interacted items per positive, per epoch (1..1000).</summary>
    public int Negatives
    {
        get => _negatives;
        init => _negatives = OptionChecks.Range(value, 1, 1000, Owner, nameof(Negatives));
    }

    /// <summary>Whether each pair's hinge is weighted by log(1 + rank), the rank estimated from the sampled negatives that violate the margin.</summary>
    public bool UseRankWeight { get; init; } = Defaults.UseRankWeight;

    /// <summary>Weight λ_c of the covariance regulariser on the batch's user and item points (0 ≤ value ≤ 1000; 0 turns it off).</summary>
    public double CovarianceWeight
    {
        get => _covarianceWeight;
        init => _covarianceWeight = OptionChecks.NonNegative(value, 1000, Owner, nameof(CovarianceWeight));
    }

    /// <summary>Passes over the positive pairs (0..100000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 100_000, Owner, nameof(Epochs));
    }

    /// <summary>Positive pairs per gradient step (1..1048576).</summary>
    public int BatchSize
    {
        get => _batchSize;
        init => _batchSize = OptionChecks.Range(value, 1, 1 << 20, Owner, nameof(BatchSize));
    }

    /// <summary>Adam's step size (0 &lt; value ≤ 10).</summary>
    public double LearningRate
    {
        get => _learningRate;
        init => _learningRate = OptionChecks.Positive(value, 10, Owner, nameof(LearningRate));
    }

    /// <summary>Projected subgradient steps of the fold-in of an unseen history (0..10000; 0 keeps the normalised centroid).</summary>
    public int FoldInSteps
    {
        get => _foldInSteps;
        init => _foldInSteps = OptionChecks.Range(value, 0, 10_000, Owner, nameof(FoldInSteps));
    }

    /// <summary>Length of the fold-in's first step (0 &lt; value ≤ 2).</summary>
    public double FoldInStepSize
    {
        get => _foldInStepSize;
        init => _foldInStepSize = OptionChecks.Positive(value, 2, Owner, nameof(FoldInStepSize));
    }

    /// <summary>Seeds the initialisation, the shuffling and the negative sampling.</summary>
    public ulong Seed { get; init; } = Defaults.Seed;

    /// <summary>Intra-op threads of libtorch during training (1..1024). A fixed seed and thread count give identical models.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = OptionChecks.Range(value, 1, 1024, Owner, nameof(Threads));
    }

    CmlOptions IModelOptions<CmlOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
