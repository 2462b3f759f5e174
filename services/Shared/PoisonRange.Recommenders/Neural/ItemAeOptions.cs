namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// Settings of <see cref="ItemAe"/>. Defaults follow Tang et al. 2020 (Table 1: architecture
/// [|U| → 256 → 128 → 256 → |U|]; their released configuration: tanh layers, a linear output,
/// squared error weighted 20 on observed entries, Adam 1e-3 with weight decay 1e-6) except where
/// noted. Every value is checked when it is set.
/// </summary>
public sealed record ItemAeOptions : IModelOptions<ItemAeOptions>
{
    private const string Owner = nameof(ItemAeOptions);

    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        /// <summary>Tang et al. 2020, Table 1.</summary>
        public const int HiddenDim = 256;

        /// <summary>Tang et al. 2020, Table 1.</summary>
        public const int LatentDim = 128;

        /// <summary>
        /// Tang et al. train 50 epochs of 2048-item batches on Gowalla (14k items, about 350 steps). On
        /// ML-100K leave-last-out (1,682 items), 10 epochs of 32 items (about 530 steps) measured best;
        /// longer training overfits (50 epochs of 64 items: HR@10 0.121 against 0.134).
        /// </summary>
        public const int Epochs = 10;

        /// <summary>Items per gradient step (see <see cref="Epochs"/>).</summary>
        public const int BatchSize = 32;

        /// <summary>Tang et al. 2020 (Adam).</summary>
        public const double LearningRate = 1e-3;

        /// <summary>
        /// The last step's fraction of <see cref="LearningRate"/>; Tang et al. keep the step constant (1).
        /// Falling to a tenth, seed 1: ML-100K leave-last-out HR@10 0.134 (constant: 0.134), Recall@50
        /// 0.528 (0.506); Last.fm HR@10 0.203 (0.185); Gowalla Recall@50 0.265 (0.251).
        /// </summary>
        public const double FinalLearningRateFactor = 0.1;

        /// <summary>Tang et al. 2020 (Adam weight decay).</summary>
        public const double L2 = 1e-6;

        /// <summary>Weight of an observed entry in the squared error (Tang et al.'s released configuration; unobserved entries weigh 1).</summary>
        public const double PositiveWeight = 20;

        /// <summary>Ridge strength of the fold-in solve, relative to the mean eigenvalue of the item codes' second-moment matrix.</summary>
        public const double FoldInL2 = 0.01;

        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    private readonly int _hiddenDim = Defaults.HiddenDim;
    private readonly int _latentDim = Defaults.LatentDim;
    private readonly int _epochs = Defaults.Epochs;
    private readonly int _batchSize = Defaults.BatchSize;
    private readonly double _learningRate = Defaults.LearningRate;
    private readonly double _finalLearningRateFactor = Defaults.FinalLearningRateFactor;
    private readonly double _l2 = Defaults.L2;
    private readonly double _positiveWeight = Defaults.PositiveWeight;
    private readonly double _foldInL2 = Defaults.FoldInL2;
    private readonly int _threads = Defaults.Threads;

    /// <summary>Width of the outer hidden layers (encoder's first, decoder's last hidden layer; 1..4096). It is also the dimension of the item codes users are scored against.</summary>
    public int HiddenDim
    {
        get => _hiddenDim;
        init => _hiddenDim = OptionChecks.Range(value, 1, 4096, Owner, nameof(HiddenDim));
    }

    /// <summary>Dimension of the bottleneck code (1..4096).</summary>
    public int LatentDim
    {
        get => _latentDim;
        init => _latentDim = OptionChecks.Range(value, 1, 4096, Owner, nameof(LatentDim));
    }

    /// <summary>Passes over the items (0..100000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 100_000, Owner, nameof(Epochs));
    }

    /// <summary>Items (rows of the transposed interaction matrix) per gradient step (1..65536).</summary>
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

    /// <summary>
    /// The step size falls linearly over the training steps from <see cref="LearningRate"/> at the
    /// first to <see cref="LearningRate"/> × this at the last (0 &lt; value ≤ 1; 1 keeps it constant).
    /// </summary>
    public double FinalLearningRateFactor
    {
        get => _finalLearningRateFactor;
        init => _finalLearningRateFactor = OptionChecks.Positive(value, 1, Owner, nameof(FinalLearningRateFactor));
    }

    /// <summary>Adam's L2 weight decay on all weights (0 ≤ value ≤ 10).</summary>
    public double L2
    {
        get => _l2;
        init => _l2 = OptionChecks.NonNegative(value, 10, Owner, nameof(L2));
    }

    /// <summary>Weight of observed entries in the reconstruction error (1 ≤ value ≤ 10000); unobserved entries weigh 1.</summary>
    public double PositiveWeight
    {
        get => _positiveWeight;
        init => _positiveWeight = double.IsFinite(value) && value >= 1 && value <= 10_000
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PositiveWeight), value, $"{Owner}.{nameof(PositiveWeight)} must be between 1 and 10000; got {value}.");
    }

    /// <summary>
    /// Ridge strength of the fold-in solve for unseen histories, relative to the mean eigenvalue of
    /// the item codes' second-moment matrix (0 &lt; value ≤ 1e6).
    /// </summary>
    public double FoldInL2
    {
        get => _foldInL2;
        init => _foldInL2 = OptionChecks.Positive(value, 1e6, Owner, nameof(FoldInL2));
    }

    /// <summary>Seeds the initialisation and the item order.</summary>
    public ulong Seed { get; init; } = Defaults.Seed;

    /// <summary>Intra-op threads of libtorch during training (1..1024). A fixed seed and thread count give identical models.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = OptionChecks.Range(value, 1, 1024, Owner, nameof(Threads));
    }

    ItemAeOptions IModelOptions<ItemAeOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
