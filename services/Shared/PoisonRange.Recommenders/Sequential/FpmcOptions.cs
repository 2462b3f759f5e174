using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// Settings of <see cref="Fpmc"/>. Every value is checked when it is set, so an invalid record
/// cannot be built: an <see cref="ArgumentOutOfRangeException"/> names the option and the bad value.
/// The factory binds the same names from scenario hyper-parameters (Seed and Threads come from
/// the factory's own arguments).
/// </summary>
/// <remarks>
/// Defaults: one dimension d for both factor pairs (the paper uses k_UI = k_IL), 64 as in the
/// zoo's other latent models; S-BPR with one uniformly drawn negative per transition, L2 on the
/// parameters a sample touches and Gaussian initialisation as in the paper; an item bias as the
/// zoo's BPR-MF has (the paper has none; without it ML-100K HR@10 is 0.173 instead of 0.179);
/// Adam instead of the paper's plain SGD so that ML-100K trains in seconds. Learning rate, λ,
/// epochs (more over-fit slightly) and the fold-in ridge were chosen on ML-100K leave-last-out.
/// </remarks>
public sealed record FpmcOptions : PairwiseRankingOptions, IModelOptions<FpmcOptions>
{
    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        /// <summary>Dimension d of both factor pairs, user–item (V^{U,I}, V^{I,U}) and item–item (V^{I,L}, V^{L,I}) (1..4096).</summary>
        public const int Factors = 64;
        /// <summary>Passes over the training transitions (0..100000; 0 keeps the random initialisation).</summary>
        public const int Epochs = 10;
        /// <summary>(user, previous item, next item, negative item) samples per gradient step (1..1048576).</summary>
        public const int BatchSize = 1024;
        public const double LearningRate = 0.005;
        /// L2 penalty λ per sample on the factors (and biases) the sample touches, as in S-BPR's
        /// regularised objective (0 ≤ value ≤ 10).
        /// </summary>
        public const double L2 = 1e-4;
        public const bool UseItemBias = true;
        public const OptimizerKind Optimizer = OptimizerKind.Adam;
        /// <summary>Standard deviation of the normal initialisation of the factors (0 &lt; value ≤ 10); biases start at 0.</summary>
        public const double InitStd = 0.1;
        /// Ridge strength of the fold-in of the user factor for unseen histories, relative to the mean
        /// eigenvalue of the covariance of V^{I,U} (0 &lt; value ≤ 1e6), as in BPR-MF's fold-in. Larger
        /// values shrink folded-in users towards the transition and bias ranking. The default 3 was
        /// chosen on ML-100K leave-last-out, where weaker ridges over-fit short histories (fold-in HR@10
        /// 0.09 at 0.01, 0.13 at 0.1, 0.175 at 3 against 0.179 for the trained users).
        /// </summary>
        public const double FoldInL2 = 3;
        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    /// <summary>Options with every value at its default.</summary>
    public FpmcOptions()
        : base(Defaults.Factors, Defaults.Epochs, Defaults.BatchSize, Defaults.LearningRate, Defaults.L2,
            Defaults.Optimizer, Defaults.InitStd, Defaults.FoldInL2, Defaults.Seed, Defaults.Threads)
    {
    }

    /// <summary>Whether items carry a learned bias b_j added to their score (not in the paper; it absorbs popularity).</summary>
    public bool UseItemBias { get; init; } = Defaults.UseItemBias;

    FpmcOptions IModelOptions<FpmcOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
