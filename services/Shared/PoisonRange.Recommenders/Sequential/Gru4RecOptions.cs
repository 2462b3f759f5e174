namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// Settings of <see cref="Gru4Rec"/>. Every value is checked when it is set, so an invalid record
/// cannot be built: an <see cref="ArgumentOutOfRangeException"/> names the option and the bad value.
/// The factory binds the same names from scenario hyper-parameters (Seed and Threads come from
/// the factory's own arguments).
/// </summary>
/// <remarks>
/// Defaults: one GRU layer (the paper's architecture) of 64 units (the paper's main runs use 100;
/// 64 keeps ML-100K training within tens of seconds on CPU), dropout on the GRU's input and output
/// as the paper regularises its hidden layer, small mini-batches, and the cross-entropy over the
/// whole catalogue (a loss the authors' later GRU4Rec versions also offer) instead of the paper's
/// TOP1/BPR over in-batch negatives; Adam instead of Adagrad. Window length, learning rate, dropout and epochs
/// were chosen on ML-100K leave-last-out.
/// </remarks>
public sealed record Gru4RecOptions : IModelOptions<Gru4RecOptions>
{
    private const string Record = nameof(Gru4RecOptions);

    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        public const int EmbeddingSize = 64;
        public const int HiddenSize = 64;
        public const int MaxLength = 50;
        public const int Epochs = 6;
        public const int BatchSize = 16;
        public const double LearningRate = 0.004;
        public const double Dropout = 0.25;
        public const double L2 = 0;
        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    private readonly int _embeddingSize = Defaults.EmbeddingSize;
    private readonly int _hiddenSize = Defaults.HiddenSize;
    private readonly int _maxLength = Defaults.MaxLength;
    private readonly int _epochs = Defaults.Epochs;
    private readonly int _batchSize = Defaults.BatchSize;
    private readonly double _learningRate = Defaults.LearningRate;
    private readonly double _dropout = Defaults.Dropout;
    private readonly double _l2 = Defaults.L2;
    private readonly int _threads = Defaults.Threads;

    /// <summary>Dimension of the item embedding fed to the GRU (1..4096).</summary>
    public int EmbeddingSize
    {
        get => _embeddingSize;
        init => _embeddingSize = OptionChecks.Range(value, 1, 4096, Record, nameof(EmbeddingSize));
    }

    /// <summary>Units of the GRU layer, which is also the dimension of the output item embeddings (1..2048).</summary>
    public int HiddenSize
    {
        get => _hiddenSize;
        init => _hiddenSize = OptionChecks.Range(value, 1, 2048, Record, nameof(HiddenSize));
    }

    /// <summary>
    /// Longest stretch of a sequence the GRU reads (1..10000): training cuts every sequence into
    /// windows of at most this many steps, and serving runs the GRU over the last this-many items.
    /// </summary>
    public int MaxLength
    {
        get => _maxLength;
        init => _maxLength = OptionChecks.Range(value, 1, 10_000, Record, nameof(MaxLength));
    }

    /// <summary>Passes over the training windows (0..100000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 100_000, Record, nameof(Epochs));
    }

    /// <summary>Sequence windows per gradient step (1..65536).</summary>
    public int BatchSize
    {
        get => _batchSize;
        init => _batchSize = OptionChecks.Range(value, 1, 1 << 16, Record, nameof(BatchSize));
    }

    /// <summary>Step size of Adam (0 &lt; value ≤ 10).</summary>
    public double LearningRate
    {
        get => _learningRate;
        init => _learningRate = OptionChecks.Positive(value, 10, Record, nameof(LearningRate));
    }

    /// <summary>Dropout probability on the GRU's input embeddings and its outputs during training (0 ≤ value &lt; 1).</summary>
    public double Dropout
    {
        get => _dropout;
        init => _dropout = OptionChecks.Fraction(value, Record, nameof(Dropout));
    }

    /// <summary>Weight decay of Adam on all parameters (0 ≤ value ≤ 10).</summary>
    public double L2
    {
        get => _l2;
        init => _l2 = OptionChecks.NonNegative(value, 10, Record, nameof(L2));
    }

    /// <summary>Seeds the initialisation, the shuffling and the dropout masks.</summary>
    public ulong Seed { get; init; } = Defaults.Seed;

    /// <summary>Intra-op threads of libtorch during training (1..1024). A fixed seed and thread count give identical models.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = OptionChecks.Range(value, 1, 1024, Record, nameof(Threads));
    }

    Gru4RecOptions IModelOptions<Gru4RecOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
