using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Factorization;

/// <summary>
/// Settings of <see cref="BprMf"/>. Every value is checked when it is set, so an invalid record
/// cannot be built: an <see cref="ArgumentOutOfRangeException"/> names the option and the bad value.
/// Bindable from configuration; the factory binds the same names from scenario hyper-parameters
/// (Seed and Threads come from the factory's own arguments).
/// </summary>
/// <remarks>
/// Tang et al.'s Table 1 has no BPR-MF; λ and the number of epochs were chosen on MovieLens-100K
/// (leave-last-out HR@10, Recall@50 of the 80/20 split), Last.fm (HR@10) and the Gowalla sample
/// (Recall@50). With the earlier default λ = 1e-4 BPR-MF was far below the other factor models on
/// Gowalla (0.129, PopRec 0.107, WRMF 0.293): with about 6 training items per user its embeddings
/// over-fit, and neither a larger step (0.02: 0.096), λ = 0 (0.129) nor 100 epochs (0.161) changed
/// that much. λ per triple, 20 epochs: 1e-3 0.137, 5e-3 0.184, 1e-2 0.220, 2e-2 0.249, 3e-2 0.255,
/// 0.1 0.199, 0.3 0.102 on Gowalla, while MovieLens-100K's Recall@50 was 0.488 at 1e-4, 0.532 at
/// 1e-2, 0.482 at 3e-2 and 0.281 at 0.1. λ = 1e-2 is the default: over seeds 1–3 it gives
/// MovieLens-100K HR@10 0.126 (1e-4: 0.131; one run's standard error is about 0.011), Recall@50
/// 0.532 (0.488), Last.fm HR@10 0.160 (seed 1 at 1e-4: 0.162) and Gowalla 0.220–0.224 (0.129), in
/// the same 20 epochs. Forty epochs add a little on Gowalla (0.270; 80: 0.285) at twice the cost.
/// As the platform's default victim it still yields to the end-to-end exercise's popular and
/// co-visit attacks (synthetic data, seeds 1–3: display rate 0.040 → 0.060 and 0.307).
/// </remarks>
public sealed record BprMfOptions : PairwiseRankingOptions, IModelOptions<BprMfOptions>
{
    /// <summary>The default values, in one place for documentation and reports.</summary>
    public static class Defaults
    {
        /// <summary>Latent dimension d of the user and item embeddings (1..4096).</summary>
        public const int Factors = 64;
        /// <summary>Passes over the training interactions (0..100000; 0 keeps the random initialisation).</summary>
        public const int Epochs = 20;
        /// <summary>(user, positive, negative) triples per gradient step (1..1048576).</summary>
        public const int BatchSize = 1024;
        public const double LearningRate = 0.005;
        /// Constant. Falling to a tenth (seed 1) helps Last.fm (HR@10 0.183 against 0.158) but not
        /// ML-100K (0.121 against 0.126; Recall@50 0.531 against 0.532) and costs Gowalla (Recall@50
        /// 0.175 against 0.220), unlike WRMF-SGD and ItemAE.
        /// </summary>
        public const double FinalLearningRateFactor = 1;
        /// L2 penalty λ on the parameters a triple touches, per triple, as in BPR's regularised
        /// objective: λ(‖p_u‖² + ‖q_i‖² + ‖q_j‖² + b_i² + b_j²) (0 ≤ value ≤ 10).
        /// </summary>
        public const double L2 = 1e-2;
        public const bool UseItemBias = true;
        public const OptimizerKind Optimizer = OptimizerKind.Adam;
        /// <summary>Standard deviation of the normal initialisation of the embeddings (0 &lt; value ≤ 10); biases start at 0.</summary>
        public const double InitStd = 0.1;
        /// Ridge strength of the fold-in solve for unseen histories, relative to the mean eigenvalue of
        /// the item factors' covariance (0 &lt; value ≤ 1e6). Larger values shrink folded-in users
        /// towards the item-bias ranking. The default 3 was the best of 1/3/5/10 on leave-last-out
        /// ML-1M balanced against planted-community synthetic data.
        /// </summary>
        public const double FoldInL2 = 3;
        public const ulong Seed = 0;
        public const int Threads = 1;
    }

    /// <summary>Options with every value at its default.</summary>
    public BprMfOptions()
        : base(Defaults.Factors, Defaults.Epochs, Defaults.BatchSize, Defaults.LearningRate, Defaults.L2,
            Defaults.Optimizer, Defaults.InitStd, Defaults.FoldInL2, Defaults.Seed, Defaults.Threads)
    {
    }

    private readonly double _finalLearningRateFactor = Defaults.FinalLearningRateFactor;

    /// <summary>
    /// The step size falls linearly over the training steps from <see cref="LearningRate"/> at the
    /// first to <see cref="LearningRate"/> × this at the last (0 &lt; value ≤ 1; 1 keeps it constant).
    /// </summary>
    public double FinalLearningRateFactor
    {
        get => _finalLearningRateFactor;
        init => _finalLearningRateFactor = OptionChecks.Positive(value, 1, nameof(BprMfOptions), nameof(FinalLearningRateFactor));
    }

    /// <summary>Whether items carry a learned bias b_i added to their score.</summary>
    public bool UseItemBias { get; init; } = Defaults.UseItemBias;

    BprMfOptions IModelOptions<BprMfOptions>.WithSeedAndThreads(ulong seed, int threads) => this with { Seed = seed, Threads = threads };
}
