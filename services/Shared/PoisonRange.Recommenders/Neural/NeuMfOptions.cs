namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// Settings of <see cref="NeuMf"/>. Architecture defaults follow Tang et al. 2020, Table 1 (NCF:
/// latent dimensionality 256; one 128-wide hidden layer, read here as a 128-unit ReLU layer over the
/// 2 × 64 concatenated MLP embeddings); the training recipe follows He et al. 2017 (binary
/// cross-entropy, 4 sampled negatives per positive, Adam 1e-3, embeddings initialised N(0, 0.01²))
/// except where noted. Every value is checked when it is set.
/// </summary>
public sealed record NeuMfOptions : IModelOptions<NeuMfOptions>
{
    private const string Owner = nameof(NeuMfOptions);

    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        /// <summary>GMF embedding dimension (Tang et al. 2020, Table 1).</summary>
        public const int Factors = 256;

        /// <summary>MLP embedding dimension per side (Tang et al.'s released configuration: half the 128-wide first layer).</summary>
        public const int MlpEmbedding = 64;

        /// <summary>Hidden ReLU layer widths of the MLP tower (Tang et al. 2020, Table 1: one layer of 128).</summary>
        public const string MlpLayers = "128";

        /// <summary>Sampled negatives per positive (He et al. 2017).</summary>
        public const int Negatives = 4;

        /// <summary>Passes over the positive pairs (He et al. report convergence within about 20; on ML-100K, 20 epochs beat 10: HR@10 0.144 against 0.129).</summary>
        public const int Epochs = 20;

        /// <summary>Positive pairs per gradient step, each with its negatives (Tang et al.'s released configuration).</summary>
        public const int BatchSize = 512;

        /// <summary>He et al. 2017 (Adam).</summary>
        public const double LearningRate = 1e-3;

        /// <summary>
        /// L2 penalty per training example on the embeddings it touches. He et al. use none; without it
        /// the 256-dimensional GMF tower overfits ML-100K within 20 epochs (HR@10 0.126 at 1e-5 against
        /// 0.144 at 1e-3; 1e-2 underfits at 0.099).
        /// </summary>
        public const double L2 = 1e-3;

        /// <summary>Adam steps of the fold-in on the new user's embeddings (on ML-100K, 10 to 60 steps fold in within noise of each other; 20 is the cheapest of the best).</summary>
        public const int FoldInSteps = 20;

        /// <summary>Adam step size of the fold-in.</summary>
        public const double FoldInLearningRate = 0.05;

        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    private readonly int _factors = Defaults.Factors;
    private readonly int _mlpEmbedding = Defaults.MlpEmbedding;
    private readonly string _mlpLayers = Defaults.MlpLayers;
    private readonly int _negatives = Defaults.Negatives;
    private readonly int _epochs = Defaults.Epochs;
    private readonly int _batchSize = Defaults.BatchSize;
    private readonly double _learningRate = Defaults.LearningRate;
    private readonly double _l2 = Defaults.L2;
    private readonly int _foldInSteps = Defaults.FoldInSteps;
    private readonly double _foldInLearningRate = Defaults.FoldInLearningRate;
    private readonly int _threads = Defaults.Threads;

    /// <summary>Dimension of the GMF user and item embeddings (1..4096).</summary>
    public int Factors
    {
        get => _factors;
        init => _factors = OptionChecks.Range(value, 1, 4096, Owner, nameof(Factors));
    }

    /// <summary>Dimension of the MLP user and item embeddings, each (1..4096).</summary>
    public int MlpEmbedding
    {
        get => _mlpEmbedding;
        init => _mlpEmbedding = OptionChecks.Range(value, 1, 4096, Owner, nameof(MlpEmbedding));
    }

    /// <summary>Widths of the MLP tower's hidden ReLU layers, comma-separated ("128", "64,32,16"; 1 to 8 layers of 1..4096).</summary>
    public string MlpLayers
    {
        get => _mlpLayers;
        init => _mlpLayers = string.Join(",", OptionChecks.LayerList(value, 1, 8, 4096, Owner, nameof(MlpLayers)));
    }

    /// <summary>The parsed <see cref="MlpLayers"/>.</summary>
    public IReadOnlyList<int> MlpLayerWidths => OptionChecks.LayerList(_mlpLayers, 1, 8, 4096, Owner, nameof(MlpLayers));

    /// <summary>Negatives drawn uniformly from the user's non-interacted items per positive, per epoch (1..1000).</summary>
    public int Negatives
    {
        get => _negatives;
        init => _negatives = OptionChecks.Range(value, 1, 1000, Owner, nameof(Negatives));
    }

    /// <summary>Passes over the positive pairs (0..100000; 0 keeps the random initialisation).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = OptionChecks.Range(value, 0, 100_000, Owner, nameof(Epochs));
    }

    /// <summary>Positive pairs per gradient step; each brings its negatives (1..1048576).</summary>
    public int BatchSize
    {
        get => _batchSize;
        init => _batchSize = OptionChecks.Range(value, 1, 1 << 20, Owner, nameof(BatchSize));
    }

    /// <summary>Adam's step size (0 &lt; value ≤ 10).</summary>
    public double LearningRate
    {
        get => _learningRate;
        init => _learningRate = OptionChecks.Positive(value, 10, Owner, nameof(LearningRate));
    }

    /// <summary>
    /// L2 penalty λ per training example on the four embeddings it touches,
    /// λ(‖p_u‖² + ‖q_i‖² + ‖p′_u‖² + ‖q′_i‖²) (0 ≤ value ≤ 10); the fold-in applies the same penalty.
    /// </summary>
    public double L2
    {
        get => _l2;
        init => _l2 = OptionChecks.NonNegative(value, 10, Owner, nameof(L2));
    }

    /// <summary>Adam steps of the fold-in of an unseen history (1..10000).</summary>
    public int FoldInSteps
    {
        get => _foldInSteps;
        init => _foldInSteps = OptionChecks.Range(value, 1, 10_000, Owner, nameof(FoldInSteps));
    }

    /// <summary>Adam step size of the fold-in (0 &lt; value ≤ 10).</summary>
    public double FoldInLearningRate
    {
        get => _foldInLearningRate;
        init => _foldInLearningRate = OptionChecks.Positive(value, 10, Owner, nameof(FoldInLearningRate));
    }

    /// <summary>Seeds the initialisation, the shuffling and the negative sampling.</summary>
    public ulong Seed { get; init; } = Defaults.Seed;

    /// <summary>Intra-op threads of libtorch during training (1..1024). A fixed seed and thread count give identical models.</summary>
    public int Threads
    {
        get => _threads;
        init => _threads = OptionChecks.Range(value, 1, 1024, Owner, nameof(Threads));
    }

    NeuMfOptions IModelOptions<NeuMfOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
