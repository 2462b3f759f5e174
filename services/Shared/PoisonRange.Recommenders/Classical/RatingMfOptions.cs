namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// Settings of <see cref="RatingMf"/> (Fang et al., WWW 2020, Eq. 1). Defaults: d = 64 from the
/// paper's parameter setting (§5.1.4). The paper states neither λ nor the solver; exact ALS with
/// 15 sweeps converges, and λ = 20 was chosen on MovieLens-100K (leave-last-out HR@10 0.037 with
/// λ = 1, 0.056 with 10, 0.065 with 20, 0.071 with 200; Recall@50 of the 80/20 split 0.18, 0.30,
/// 0.30, 0.27). A model fitted to observed ratings only never sees the missing cells, so its
/// top-N ranking stays near or below popularity on such data; that is the model, not a bug.
/// </summary>
public sealed record RatingMfOptions
{
    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        public const int Factors = 64;
        public const int Epochs = 15;
        public const double L2 = 20;
        public const bool UseRatings = true;
        public const double InitStd = 0.1;
        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    private const string Name = nameof(RatingMfOptions);
    private readonly int _factors = Defaults.Factors;
    private readonly int _epochs = Defaults.Epochs;
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

    /// <summary>λ of Eq. 1's penalty λ(Σ‖x_u‖² + Σ‖y_i‖²) (0 &lt; value ≤ 1e6).</summary>
    public double L2
    {
        get => _l2;
        init => _l2 = OptionChecks.Positive(value, 1e6, Name, nameof(L2));
    }

    /// <summary>
    /// Fit the dataset's ratings (the mean of a pair's ratings when it repeats); when false, or
    /// when the dataset has none, every observed pair has rating 1.
    /// </summary>
    public bool UseRatings { get; init; } = Defaults.UseRatings;

    /// <summary>Standard deviation of the normal initialisation of the vectors (0 &lt; value ≤ 10).</summary>
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
}
