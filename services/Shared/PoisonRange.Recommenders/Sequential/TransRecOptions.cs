using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>The distance d(·,·) of the transition space of <see cref="TransRec"/>.</summary>
public enum TransRecDistance
{
    /// <summary>Euclidean distance ‖x − y‖, the metric of the paper (it satisfies the triangle inequality).</summary>
    L2,

    /// <summary>Squared Euclidean distance ‖x − y‖², as in the implementation LOKI attacked; the default.</summary>
    SquaredL2,
}

/// <summary>
/// Settings of <see cref="TransRec"/>. Every value is checked when it is set, so an invalid record
/// cannot be built: an <see cref="ArgumentOutOfRangeException"/> names the option and the bad value.
/// The factory binds the same names from scenario hyper-parameters (Seed and Threads come from
/// the factory's own arguments).
/// </summary>
/// <remarks>
/// Defaults: the paper's model (item points in the unit L2 ball, item biases, a global translation
/// t plus a personal offset t_u, S-BPR with one uniform negative and an L2 regulariser on the
/// parameters) with the squared L2 distance of the implementation LOKI §4 attacked (NeuRec's
/// TransRec), at d = 64 as the zoo's other latent models; Adam instead of plain SGD. On ML-100K
/// leave-last-out the squared distance reaches HR@10 0.17 against 0.14 with the L2 distance.
/// Learning rate, λ, epochs (more over-fit) and the fold-in ridge were chosen there too.
/// </remarks>
public sealed record TransRecOptions : PairwiseRankingOptions, IModelOptions<TransRecOptions>
{
    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        /// <summary>Dimension d of the transition space (1..4096).</summary>
        public const int Factors = 64;
        /// <summary>Passes over the training transitions (0..100000; 0 keeps the random initialisation).</summary>
        public const int Epochs = 10;
        /// <summary>(user, previous item, next item, negative item) samples per gradient step (1..1048576).</summary>
        public const int BatchSize = 1024;
        public const double LearningRate = 0.005;
        /// L2 penalty λ per sample on the parameters the sample touches: the three item points, the two
        /// item biases, the user's offset t_u and the global translation t (0 ≤ value ≤ 10).
        /// </summary>
        public const double L2 = 1e-4;
        public const TransRecDistance Distance = TransRecDistance.SquaredL2;
        public const OptimizerKind Optimizer = OptimizerKind.Adam;
        /// Standard deviation of the normal initialisation of the item points (0 &lt; value ≤ 10; points
        /// are then projected into the unit ball). Translations and biases start at 0.
        /// </summary>
        public const double InitStd = 0.1;
        /// Ridge strength of the fold-in of the personal offset t_u for unseen histories under the
        /// squared L2 distance, relative to the mean eigenvalue of the covariance of 2γ (0 &lt; value ≤ 1e6);
        /// larger values shrink folded-in users towards the global translation. Unused with the L2
        /// distance, whose fold-in keeps t_u = 0. The default 10 was chosen on ML-100K leave-last-out
        /// (fold-in HR@10 0.134 at 0.3, 0.164 at 3, 0.171 at 10, 0.151 at 30; 0.140 with t_u = 0).
        /// </summary>
        public const double FoldInL2 = 10;
        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    /// <summary>Options with every value at its default.</summary>
    public TransRecOptions()
        : base(Defaults.Factors, Defaults.Epochs, Defaults.BatchSize, Defaults.LearningRate, Defaults.L2,
            Defaults.Optimizer, Defaults.InitStd, Defaults.FoldInL2, Defaults.Seed, Defaults.Threads)
    {
    }

    private readonly TransRecDistance _distance = Defaults.Distance;

    /// <summary>The distance between the translated previous item and a candidate (default squared L2, see the remarks).</summary>
    public TransRecDistance Distance
    {
        get => _distance;
        init => _distance = OptionChecks.Defined(value, Record, nameof(Distance));
    }

    TransRecOptions IModelOptions<TransRecOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
