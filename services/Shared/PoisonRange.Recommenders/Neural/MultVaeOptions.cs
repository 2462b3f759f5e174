namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// Settings of <see cref="MultVae"/>. Defaults follow Liang et al. 2018 (architecture
/// [I → 600 → 200 → 600 → I], tanh, input dropout 0.5, Adam 1e-3, batch 500 users, β annealed
/// linearly up to 0.2) except where noted; Tang et al. 2020 (Table 1) use [I → 512 → 256 → 512 → I],
/// which <c>hiddenDim=512, latentDim=256</c> reproduces. Every value is checked when it is set.
/// </summary>
public sealed record MultVaeOptions : AutoencoderOptions, IModelOptions<MultVaeOptions>
{
    /// <summary>Options with every value at its default.</summary>
    public MultVaeOptions()
        : base(Defaults.LatentDim, Defaults.Epochs, Defaults.BatchSize, Defaults.LearningRate, Defaults.L2, Defaults.Seed, Defaults.Threads)
    {
    }

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
    private readonly double _dropout = Defaults.Dropout;
    private readonly double _betaCap = Defaults.BetaCap;
    private readonly double _annealFraction = Defaults.AnnealFraction;

    /// <summary>Width of the encoder's and decoder's hidden tanh layer (1..8192).</summary>
    public int HiddenDim
    {
        get => _hiddenDim;
        init => _hiddenDim = OptionChecks.Range(value, 1, 8192, Record, nameof(HiddenDim));
    }

    /// <summary>Probability of dropping each input interaction during training (0 ≤ value &lt; 1).</summary>
    public double Dropout
    {
        get => _dropout;
        init => _dropout = OptionChecks.Fraction(value, Record, nameof(Dropout));
    }

    /// <summary>Largest KL weight β reached by the annealing (0 ≤ value ≤ 10; 0 trains a denoising autoencoder with a stochastic code).</summary>
    public double BetaCap
    {
        get => _betaCap;
        init => _betaCap = OptionChecks.NonNegative(value, 10, Record, nameof(BetaCap));
    }

    /// <summary>Fraction of the training steps over which β rises linearly to <see cref="BetaCap"/> (0 &lt; value ≤ 1).</summary>
    public double AnnealFraction
    {
        get => _annealFraction;
        init => _annealFraction = OptionChecks.Positive(value, 1, Record, nameof(AnnealFraction));
    }

    MultVaeOptions IModelOptions<MultVaeOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
