namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// Settings of <see cref="MultVae"/>. Defaults follow Liang et al. 2018 (architecture
/// [I → 600 → 200 → 600 → I], tanh, input dropout 0.5, Adam 1e-3, batch 500 users, β annealed
/// linearly up to 0.2) except where noted; Tang et al. 2020 (Table 1) use [I → 512 → 256 → 512 → I],
/// which <c>hiddenDim=512, latentDim=256</c> reproduces. Every value is checked when it is set.
/// </summary>
public sealed record MultVaeOptions : IModelOptions<MultVaeOptions>
{
    private const string Owner = nameof(MultVaeOptions);

    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        /// <summary>Liang et al. 2018.</summary>
        public const int HiddenDim = 600;

        /// <summary>Liang et al. 2018.</summary>
        public const int LatentDim = 200;

        /// <summary>
        /// Liang et al. train 200 epochs of 500-user batches on ML-20M (about 50,000 steps). The range's
        /// catalogues are far smaller: on ML-100K leave-last-out, HR@10 reaches its plateau after about
        /// 300 steps (30 to 100 epochs of 100-user batches all land within noise of each other), so the
        /// default is 50 epochs of 100 users.
        /// </summary>
        public const int Epochs = 50;

        /// <summary>Users per gradient step (Liang et al.: 500 on ML-20M; see <see cref="Epochs"/>).</summary>
        public const int BatchSize = 100;

        /// <summary>Liang et al. 2018 (Adam).</summary>
        public const double LearningRate = 1e-3;

        /// <summary>L2 weight decay in Adam; Liang et al. use none for Mult-VAE.</summary>
        public const double L2 = 0;

        /// <summary>Input dropout probability (Liang et al.: keep probability 0.5).</summary>
        public const double Dropout = 0.5;

        /// <summary>The cap of the KL weight β (Liang et al.'s anneal cap 0.2).</summary>
        public const double BetaCap = 0.2;

        /// <summary>
        /// The fraction of all training steps over which β rises linearly from 0 to <see cref="BetaCap"/>.
        /// Liang et al. add 1/200000 per step, which on ML-20M reaches the cap about three quarters
        /// through training; the fraction keeps that schedule independent of the data set's size.
        /// </summary>
        public const double AnnealFraction = 0.75;

        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    private readonly int _hiddenDim = Defaults.HiddenDim;
    private readonly int _latentDim = Defaults.LatentDim;
    private readonly int _epochs = Defaults.Epochs;
    private readonly int _batchSize = Defaults.BatchSize;
    private readonly double _learningRate = Defaults.LearningRate;
    private readonly double _l2 = Defaults.L2;
    private readonly double _dropout = Defaults.Dropout;
    private readonly double _betaCap = Defaults.BetaCap;
    private readonly double _annealFraction = Defaults.AnnealFraction;
    private readonly int _threads = Defaults.Threads;

    /// <summary>Width of the encoder's and decoder's hidden tanh layer (1..8192).</summary>
    public int HiddenDim
    {
        get => _hiddenDim;
        init => _hiddenDim = OptionChecks.Range(value, 1, 8192, Owner, nameof(HiddenDim));
    }

    /// <summary>Dimension of the latent code z (1..4096).</summary>
    public int LatentDim
    {
        get => _latentDim;
        init => _latentDim = OptionChecks.Range(value, 1, 4096, Owner, nameof(LatentDim));
    }

    /// <summary>Passes over the training users (0..100000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 100_000, Owner, nameof(Epochs));
    }

    /// <summary>Users per gradient step (1..65536).</summary>
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

    /// <summary>Probability of dropping each input interaction during training (0 ≤ value &lt; 1).</summary>
    public double Dropout
    {
        get => _dropout;
        init => _dropout = OptionChecks.Fraction(value, Owner, nameof(Dropout));
    }

    /// <summary>Largest KL weight β reached by the annealing (0 ≤ value ≤ 10; 0 trains a denoising autoencoder with a stochastic code).</summary>
    public double BetaCap
    {
        get => _betaCap;
        init => _betaCap = OptionChecks.NonNegative(value, 10, Owner, nameof(BetaCap));
    }

    /// <summary>Fraction of the training steps over which β rises linearly to <see cref="BetaCap"/> (0 &lt; value ≤ 1).</summary>
    public double AnnealFraction
    {
        get => _annealFraction;
        init => _annealFraction = OptionChecks.Positive(value, 1, Owner, nameof(AnnealFraction));
    }

    /// <summary>Seeds the initialisation, the user order, the dropout masks and the reparameterisation noise.</summary>
    public ulong Seed { get; init; } = Defaults.Seed;

    /// <summary>Intra-op threads of libtorch during training (1..1024). A fixed seed and thread count give identical models.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = OptionChecks.Range(value, 1, 1024, Owner, nameof(Threads));
    }

    MultVaeOptions IModelOptions<MultVaeOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
