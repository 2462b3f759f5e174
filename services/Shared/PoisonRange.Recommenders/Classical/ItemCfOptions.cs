namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// Settings of <see cref="ItemCf"/>. Defaults follow Tang et al. (RecSys 2020) Table 1: Jaccard
/// similarity with 50 nearest neighbours.
/// </summary>
public sealed record ItemCfOptions : IModelOptions<ItemCfOptions>
{
    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        public const int Neighbors = 50;
        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    private const string Name = nameof(ItemCfOptions);
    private readonly int _neighbors = Defaults.Neighbors;
    private readonly int _threads = Defaults.Threads;

    /// <summary>k: how many most similar items each item keeps (1..100000).</summary>
    public int Neighbors
    {
        get => _neighbors;
        init => _neighbors = OptionChecks.Range(value, 1, 100_000, Name, nameof(Neighbors));
    }

    /// <summary>Recorded in checkpoints; the model itself has no randomness.</summary>
    public ulong Seed { get; init; } = Defaults.Seed;

    /// <summary>Worker threads of the similarity computation (1..1024). The result does not depend on it.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = OptionChecks.Range(value, 1, 1024, Name, nameof(Threads));
    }

    ItemCfOptions IModelOptions<ItemCfOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
