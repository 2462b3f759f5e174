namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// Settings of <see cref="ItemAe"/>. Defaults follow Tang et al. 2020 (Table 1: architecture
/// [|U| → 256 → 128 → 256 → |U|]; their released configuration: tanh layers, a linear output,
/// squared error weighted 20 on observed entries, Adam 1e-3 with weight decay 1e-6) except where
/// noted. Every value is checked when it is set.
/// </summary>
public sealed record ItemAeOptions : AutoencoderOptions, IModelOptions<ItemAeOptions>
{
    /// <summary>Options with every value at its default.</summary>
    public ItemAeOptions()
        : base(Defaults.LatentDim, Defaults.Epochs, Defaults.BatchSize, Defaults.LearningRate, Defaults.L2, Defaults.Seed, Defaults.Threads)
    {
    }

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
    private readonly double _finalLearningRateFactor = Defaults.FinalLearningRateFactor;
    private readonly double _positiveWeight = Defaults.PositiveWeight;
    private readonly double _foldInL2 = Defaults.FoldInL2;

    /// <summary>Width of the outer hidden layers (encoder's first, decoder's last hidden layer; 1..4096). It is also the dimension of the item codes users are scored against.</summary>
    public int HiddenDim
    {
        get => _hiddenDim;
        init => _hiddenDim = OptionChecks.Range(value, 1, 4096, Record, nameof(HiddenDim));
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

    /// <summary>Weight of observed entries in the reconstruction error (1 ≤ value ≤ 10000); unobserved entries weigh 1.</summary>
    public double PositiveWeight
    {
        get => _positiveWeight;
        init => _positiveWeight = double.IsFinite(value) && value >= 1 && value <= 10_000
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PositiveWeight), value, $"{Record}.{nameof(PositiveWeight)} must be between 1 and 10000; got {value}.");
    }

    /// <summary>
    /// Ridge strength of the fold-in solve for unseen histories, relative to the mean eigenvalue of
    /// the item codes' second-moment matrix (0 &lt; value ≤ 1e6).
    /// </summary>
    public double FoldInL2
    {
        get => _foldInL2;
        init => _foldInL2 = OptionChecks.Positive(value, 1e6, Record, nameof(FoldInL2));
    }

    ItemAeOptions IModelOptions<ItemAeOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
