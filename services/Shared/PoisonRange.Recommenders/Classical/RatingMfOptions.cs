namespace PoisonRange.Recommenders.Classical;

/// <summary>How <see cref="RatingMf"/> reads the dataset's rating values.</summary>
public enum RatingScale
{
    /// <summary><see cref="Raw"/> when every rating is at most <see cref="RatingMf.AutoLogThreshold"/> (star scales), else <see cref="Log"/> (counts).</summary>
    Auto,

    /// <summary>The values as they are.</summary>
    Raw,

    /// <summary>log(1 + value): play or visit counts compressed to a rating-like scale (every value must be ≥ 0).</summary>
    Log,
}

/// <summary>
/// Settings of <see cref="RatingMf"/> (Fang et al., WWW 2020, Eq. 1). Defaults: d = 64 from the
/// paper's parameter setting (§5.1.4); the paper states neither λ nor the solver, and exact ALS
/// with 15 sweeps converges. α (<see cref="MissingWeight"/>) and λ were chosen together, seed 1,
/// on MovieLens-100K (leave-last-out HR@10 / Recall@50 of the 80/20 split), Last.fm (leave-one-out
/// HR@10, play counts on the log scale) and the Gowalla sample (Recall@50):
/// <list type="bullet">
/// <item>α = 0 (Eq. 1 as written), λ = 20: 0.065 / 0.300, 0.034 (raw play counts), 0.091: at or
/// below popularity (0.086 / 0.290, 0.077, 0.107). With α = 0, λ = 20 was the best of 1, 10, 20,
/// 200 on MovieLens-100K (HR@10 0.037, 0.056, 0.065, 0.071; Recall@50 0.18, 0.30, 0.30, 0.27).</item>
/// <item>α = 0.1, λ = 20: 0.141 / 0.547, 0.247, 0.090: λ = 20 collapses the factors on Gowalla's
/// sparse rows (about 6 training items per user); λ = 10: 0.134 / 0.530, 0.244, 0.194.</item>
/// <item>α = 0.1, λ = 5 (the defaults): 0.139 / 0.503, 0.238, 0.266.</item>
/// <item>α = 0.05, λ = 2.5: 0.137 / 0.472, 0.234, 0.285; α = 0.15, λ = 7: 0.140 / 0.513, 0.244,
/// 0.251; α = 0.2, λ = 5: 0.139 / 0.504, 0.241, 0.249; α = 0.3, λ = 5: 0.139 / 0.500, 0.242, 0.237.</item>
/// </list>
/// On Last.fm, whose "ratings" are play counts up to 352,698, the raw values give 0.074 at α = 0.1
/// (the largest counts dominate the squared error), log(1 + count) 0.247; hence
/// <see cref="RatingScale.Auto"/>. Every value is checked when it is set.
/// </summary>
public sealed record RatingMfOptions : IModelOptions<RatingMfOptions>
{
    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        public const int Factors = 64;
        public const int Epochs = 15;
        public const double L2 = 5;
        public const double MissingWeight = 0.1;
        public const bool UseRatings = true;
        public const RatingScale Scale = RatingScale.Auto;
        public const double InitStd = 0.1;
        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    private const string Name = nameof(RatingMfOptions);
    private readonly int _factors = Defaults.Factors;
    private readonly int _epochs = Defaults.Epochs;
    private readonly double _l2 = Defaults.L2;
    private readonly double _missingWeight = Defaults.MissingWeight;
    private readonly RatingScale _scale = Defaults.Scale;
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

    /// <summary>λ of Eq. 1's penalty λ(Σ‖x_u‖² + Σ‖y_i‖²) (0 &lt; value ≤ 1e6). With <see cref="MissingWeight"/> = 0, λ = 20 ranks better.</summary>
    public double L2
    {
        get => _l2;
        init => _l2 = OptionChecks.Positive(value, 1e6, Name, nameof(L2));
    }

    /// <summary>
    /// α: the weight of each missing cell of the rating matrix, fitted as a rating of 0, against
    /// weight 1 for an observed rating (0 ≤ value ≤ 1; 0 fits the observed ratings only, Eq. 1 as written).
    /// </summary>
    public double MissingWeight
    {
        get => _missingWeight;
        init => _missingWeight = OptionChecks.NonNegative(value, 1, Name, nameof(MissingWeight));
    }

    /// <summary>
    /// Fit the dataset's ratings (the mean of a pair's ratings when it repeats); when false, or
    /// when the dataset has none, every observed pair has rating 1.
    /// </summary>
    public bool UseRatings { get; init; } = Defaults.UseRatings;

    /// <summary>How the ratings are read when <see cref="UseRatings"/> holds (see <see cref="RatingScale"/>).</summary>
    public RatingScale Scale
    {
        get => _scale;
        init => _scale = Enum.IsDefined(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Scale), value, $"{Name}.{nameof(Scale)} must be one of {string.Join(", ", Enum.GetNames<RatingScale>())}; got {value}.");
    }

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

    RatingMfOptions IModelOptions<RatingMfOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
