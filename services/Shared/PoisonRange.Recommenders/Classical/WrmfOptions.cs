namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// Settings of <see cref="Wrmf"/> (WRMF trained by exact ALS). Every value is checked when it is
/// set. Defaults follow Tang et al. (RecSys 2020): Table 1 (latent dimensionality 128), §3
/// (instance weight w = 20 on observed cells, 1 on missing ones) and the WRMF+ALS configuration
/// of the same experiments (10 sweeps, N(0, 0.1) initialisation), except λ: that configuration's
/// λ = 0.05 leaves the 128-dimensional model over-fitted on denser data (ML-100K Recall@50 0.39
/// against 0.56 with λ = 50, leave-last-out HR@10 0.128 against 0.145), while on the Gowalla
/// sample both give the same Recall@50 (0.287 and 0.293); the default is λ = 50.
/// </summary>
public sealed record WrmfOptions : WeightedMfOptions, IModelOptions<WrmfOptions>
{
    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        public const int Factors = 128;
        public const int Epochs = 10;
        public const double PositiveWeight = 20;
        public const double L2 = 50;
        public const double InitStd = 0.1;
        /// <summary>Seeds the initialisation.</summary>
        public const ulong Seed = 0;
        /// <summary>Worker threads of the ALS sweeps (1..1024). The result does not depend on it.</summary>
        public const int Threads = 1;
    }

    /// <summary>Options with every value at its default.</summary>
    public WrmfOptions()
        : base(Defaults.Factors, Defaults.PositiveWeight, Defaults.L2, Defaults.InitStd, Defaults.Seed, Defaults.Threads)
    {
    }

    private readonly int _epochs = Defaults.Epochs;

    /// <summary>ALS sweeps; each solves all items, then all users, in closed form (0..10000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 10_000, Record, nameof(Epochs));
    }

    WrmfOptions IModelOptions<WrmfOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
