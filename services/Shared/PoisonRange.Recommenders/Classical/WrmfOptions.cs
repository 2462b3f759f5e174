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
public sealed record WrmfOptions : IModelOptions<WrmfOptions>
{
    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        public const int Factors = 128;
        public const int Epochs = 10;
        public const double PositiveWeight = 20;
        public const double L2 = 50;
        public const double InitStd = 0.1;
        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    private const string Name = nameof(WrmfOptions);
    private readonly int _factors = Defaults.Factors;
    private readonly int _epochs = Defaults.Epochs;
    private readonly double _positiveWeight = Defaults.PositiveWeight;
    private readonly double _l2 = Defaults.L2;
    private readonly double _initStd = Defaults.InitStd;
    private readonly int _threads = Defaults.Threads;

    /// <summary>Latent dimension d (1..1024).</summary>
    public int Factors
    {
        get => _factors;
        init => _factors = OptionChecks.Range(value, 1, 1024, Name, nameof(Factors));
    }

    /// <summary>ALS sweeps; each solves all items, then all users, in closed form (0..10000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 10_000, Name, nameof(Epochs));
    }

    /// <summary>Confidence w of an observed cell (Hu et al.'s c = 1 + α with α = w − 1); missing cells weigh 1 (1 ≤ value ≤ 1e6).</summary>
    public double PositiveWeight
    {
        get => _positiveWeight;
        init => _positiveWeight = value >= 1 && value <= 1e6 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PositiveWeight), value, $"{Name}.{nameof(PositiveWeight)} must be between 1 and 1000000; got {value}.");
    }

    /// <summary>λ of the penalty λ(‖P‖² + ‖Q‖²) (0 &lt; value ≤ 1e6).</summary>
    public double L2
    {
        get => _l2;
        init => _l2 = OptionChecks.Positive(value, 1e6, Name, nameof(L2));
    }

    /// <summary>Standard deviation of the normal initialisation of the user and item vectors (0 &lt; value ≤ 10).</summary>
    public double InitStd
    {
        get => _initStd;
        init => _initStd = OptionChecks.Positive(value, 10, Name, nameof(InitStd));
    }

    /// <summary>Seeds the initialisation.</summary>
    public ulong Seed { get; init; } = Defaults.Seed;

    /// <summary>Worker threads of the ALS sweeps (1..1024). The result does not depend on it.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = OptionChecks.Range(value, 1, 1024, Name, nameof(Threads));
    }

    WrmfOptions IModelOptions<WrmfOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
