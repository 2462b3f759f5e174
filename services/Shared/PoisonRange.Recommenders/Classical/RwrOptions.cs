namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// Settings of <see cref="Rwr"/> (Fang et al., WWW 2020, §7.1, Eqs. 22–23). Fang §7.1 takes its
/// setting from the graph-based attack it extends (Fang et al., ACSAC 2018); the default restart
/// probability α = 0.3 is that setting. Iterations and tolerance bound the power iteration (its
/// error after t steps is at most 2(1 − α)^t in L1).
/// </summary>
public sealed record RwrOptions : IModelOptions<RwrOptions>
{
    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        public const double RestartProbability = 0.3;
        public const int Iterations = 50;
        public const double Tolerance = 1e-5;
        public const bool UseRatings = true;
        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    private const string Name = nameof(RwrOptions);
    private readonly double _restartProbability = Defaults.RestartProbability;
    private readonly int _iterations = Defaults.Iterations;
    private readonly double _tolerance = Defaults.Tolerance;
    private readonly int _threads = Defaults.Threads;

    /// <summary>α: the probability of jumping back to the start node at each step (0 &lt; value &lt; 1).</summary>
    public double RestartProbability
    {
        get => _restartProbability;
        init => _restartProbability = OptionChecks.Open01(value, Name, nameof(RestartProbability));
    }

    /// <summary>Most power-iteration steps per scored user (1..10000).</summary>
    public int Iterations
    {
        get => _iterations;
        init => _iterations = OptionChecks.Range(value, 1, 10_000, Name, nameof(Iterations));
    }

    /// <summary>Stop early once one step changes the distribution by less than this in L1 (0 ≤ value ≤ 1; 0 always runs <see cref="Iterations"/> steps).</summary>
    public double Tolerance
    {
        get => _tolerance;
        init => _tolerance = OptionChecks.NonNegative(value, 1, Name, nameof(Tolerance));
    }

    /// <summary>
    /// Weight edges by the dataset's ratings (Fang's q_ui = r_ui / Σ_j r_uj; the mean rating when a
    /// pair repeats); when false, or when the dataset has none, every edge weighs 1.
    /// </summary>
    public bool UseRatings { get; init; } = Defaults.UseRatings;

    /// <summary>Recorded in checkpoints; the model itself has no randomness.</summary>
    public ulong Seed { get; init; } = Defaults.Seed;

    /// <summary>Accepted for the common factory signature; fitting builds the graph on one thread and each scoring call is single-threaded.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = OptionChecks.Range(value, 1, 1024, Name, nameof(Threads));
    }

    RwrOptions IModelOptions<RwrOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
