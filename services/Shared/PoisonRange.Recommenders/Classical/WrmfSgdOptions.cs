namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// Settings of <see cref="WrmfSgd"/> (WRMF trained by Adam: Tang et al., RecSys 2020, §3, the
/// surrogate of their bi-level attack). Defaults follow the paper's Table 1 (latent
/// dimensionality 128) and §3 (w = 20), and the WRMF+SGD configuration of the same experiments
/// (Adam, learning rate 0.01, 50 epochs, N(0, 0.1) initialisation), with two changes: the
/// penalty λ is that of <see cref="WrmfOptions"/> (50), so both kinds minimise the same
/// objective, and batches hold 256 users, not 2048: 2048-user batches gave 13k-user Gowalla
/// seven steps per epoch but give ML-100K one, which leaves it under-trained after 50 epochs
/// (Recall@50 of the 80/20 split 0.521 against 0.560 with 256, leave-last-out HR@10 0.116 against 0.134).
/// </summary>
public sealed record WrmfSgdOptions : WeightedMfOptions, IModelOptions<WrmfSgdOptions>
{
    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        public const int Factors = 128;
        public const int Epochs = 50;
        public const int BatchSize = 256;
        public const double LearningRate = 0.01;
        /// <summary>
        /// At a constant step Adam stops short of the minimum that ALS reaches on sparse data: on the
        /// Gowalla sample (about 6 items per user, 2,600 steps) Recall@50 was 0.241 after 50 epochs and
        /// 0.241 after 100, against ALS's 0.293; a constant step of 0.003 reached 0.286 there but left
        /// ML-100K (200 steps) under-trained (0.521 against 0.560). Falling linearly to a tenth gives
        /// 0.292 on Gowalla, 0.551 on ML-100K and leave-last-out HR@10 0.244 on Last.fm (0.250 at a
        /// constant step); falling to a hundredth 0.548 and 0.242.
        /// </summary>
        public const double FinalLearningRateFactor = 0.1;
        public const double PositiveWeight = WrmfOptions.Defaults.PositiveWeight;
        /// <summary>λ of the penalty λ(‖P‖² + ‖Q‖²), also the ridge of the fold-in solve.</summary>
        public const double L2 = WrmfOptions.Defaults.L2;
        public const double InitStd = 0.1;
        /// <summary>Seeds the initialisation and the batch order.</summary>
        public const ulong Seed = 0;
        /// <summary>Intra-op threads of libtorch during training (1..1024). A fixed seed and thread count give identical models.</summary>
        public const int Threads = 1;
    }

    /// <summary>Options with every value at its default.</summary>
    public WrmfSgdOptions()
        : base(Defaults.Factors, Defaults.PositiveWeight, Defaults.L2, Defaults.InitStd, Defaults.Seed, Defaults.Threads)
    {
    }

    private readonly int _epochs = Defaults.Epochs;
    private readonly int _batchSize = Defaults.BatchSize;
    private readonly double _learningRate = Defaults.LearningRate;
    private readonly double _finalLearningRateFactor = Defaults.FinalLearningRateFactor;

    /// <summary>Passes over all users (0..100000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 100_000, Record, nameof(Epochs));
    }

    /// <summary>Users per gradient step; each step covers every item of those users' rows (1..1048576).</summary>
    public int BatchSize
    {
        get => _batchSize;
        init => _batchSize = OptionChecks.Range(value, 1, 1 << 20, Record, nameof(BatchSize));
    }

    /// <summary>Adam's step size (0 &lt; value ≤ 10).</summary>
    public double LearningRate
    {
        get => _learningRate;
        init => _learningRate = OptionChecks.Positive(value, 10, Record, nameof(LearningRate));
    }

    /// <summary>
    /// The step size falls linearly over the training steps from <see cref="LearningRate"/> at the
    /// first to <see cref="LearningRate"/> × this at the last (0 &lt; value ≤ 1; 1 keeps it constant).
    /// </summary>
    public double FinalLearningRateFactor
    {
        get => _finalLearningRateFactor;
        init => _finalLearningRateFactor = OptionChecks.Positive(value, 1, Record, nameof(FinalLearningRateFactor));
    }

    WrmfSgdOptions IModelOptions<WrmfSgdOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
