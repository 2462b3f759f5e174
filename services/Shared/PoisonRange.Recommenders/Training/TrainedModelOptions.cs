namespace PoisonRange.Recommenders.Training;

/// <summary>
/// The root of the options records whose families share settings (<c>AutoencoderOptions</c>,
/// <see cref="PairwiseRankingOptions"/>, <c>WeightedMfOptions</c>): the seed and the thread count,
/// which the factory passes separately from the hyper-parameters, and the record's name for error
/// messages (<c>FpmcOptions.Threads must be …</c>).
/// </summary>
public abstract record TrainedModelOptions
{
    private readonly int _threads;

    private protected TrainedModelOptions(ulong seed, int threads)
    {
        Seed = seed;
        _threads = threads;
    }

    /// <summary>The concrete record's name in error messages.</summary>
    private protected string Record => GetType().Name;

    /// <summary>Seeds every random draw of training (see each record's <c>Defaults.Seed</c>).</summary>
    public ulong Seed { get; init; }

    /// <summary>Threads of training (1..1024; see each record's <c>Defaults.Threads</c>). A fixed seed and thread count give identical models.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = OptionChecks.Range(value, 1, 1024, Record, nameof(Threads));
    }
}
