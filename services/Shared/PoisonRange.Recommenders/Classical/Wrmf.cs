using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// Weighted regularised matrix factorisation for implicit feedback (Hu, Koren and Volinsky 2008),
/// trained by exact alternating least squares. Every cell of the user × item matrix counts:
/// <code>
/// L = Σ_{u,i} c_ui (x_ui − p_u·q_i)² + λ(‖P‖² + ‖Q‖²),   x_ui = 1 if observed else 0,
/// c_ui = w on observed cells, 1 on the others
/// </code>
/// and s(u, i) = p_u·q_i. Each ALS step solves, per row, (QᵀQ + Qᵀ(C_u − I)Q + λI) p_u = QᵀC_u x_u,
/// with QᵀQ computed once per step, so a row costs O(n_u·d² + d³) whatever the catalogue size
/// (Hu et al.'s speed-up); see <see cref="AlternatingLeastSquares"/>. Repeated interactions
/// count once (binary x, as in Tang et al.'s surrogate).
/// </summary>
/// <remarks>
/// <para><b>Fold-in.</b> An unseen history H gets the same closed-form user solve with the item
/// vectors fixed, (QᵀQ + (w − 1)Σ_{i∈H} q_i q_iᵀ + λI) p = w Σ_{i∈H} q_i: exactly the vector a
/// further ALS user step would give it. Each sweep ends with the user step, so folding in a
/// training user's own history reproduces its trained vector. Order and repeats in the history
/// do not matter; an empty history scores by training popularity.</para>
/// <para><b>Determinism.</b> Rows are solved independently in double precision; the result
/// depends on the seed only, not on <see cref="WrmfOptions.Threads"/>. A fit that fails or is
/// cancelled leaves the previous model serving.</para>
/// </remarks>
public sealed class Wrmf : RidgeFactorRecommender
{
    public const string KindName = "wrmf";
    private const int BodyVersion = 1;

    public Wrmf(WrmfOptions? options = null)
        : base(KindName, BodyVersion)
    {
        Options = options ?? new WrmfOptions();
    }

    /// <summary>The settings this model trains with.</summary>
    public WrmfOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<WrmfOptions, Wrmf>(
        KindName,
        "weighted matrix factorisation for implicit feedback trained by exact ALS (Hu et al. 2008)",
        options => new Wrmf(options),
        (model, header, reader) => model.LoadBody(reader));

    /// <summary>The objective of <see cref="WrmfOptions"/> in the form the ALS solver takes.</summary>
    internal static AlternatingLeastSquares.Objective ObjectiveOf(double positiveWeight, double l2)
        => new(GramWeight: 1, ExtraWeight: positiveWeight - 1, TargetScale: positiveWeight, Lambda: l2);

    /// <summary>The fold-in rule matching that objective.</summary>
    internal static RidgeFoldIn FoldInOf(double positiveWeight, double l2)
        => new(GramWeight: 1, ExtraWeight: positiveWeight - 1, Target: positiveWeight, Lambda: l2);

    public override void Fit(InteractionDataset train, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.ItemCount == 0 || train.UserCount == 0)
            throw new ArgumentException($"Cannot train on {train}: it needs at least one user and one item.", nameof(train));
        cancellationToken.ThrowIfCancellationRequested();

        var stopwatch = Stopwatch.StartNew();
        var options = Options;
        int d = options.Factors;
        var matrix = InteractionMatrix.FromDataset(train, CellValue.One);
        var rng = new SeededRandom(options.Seed, BoundedIntegers.Full64Bits);
        var userFactors = AlternatingLeastSquares.RandomFactors(rng, matrix.Users, d, options.InitStd);
        var itemFactors = AlternatingLeastSquares.RandomFactors(rng, matrix.Items, d, options.InitStd);
        var objective = ObjectiveOf(options.PositiveWeight, options.L2);

        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            AlternatingLeastSquares.SolveSide(matrix.Items, matrix.ItemOffsets, matrix.ItemUsers, matrix.ItemValues,
                userFactors, matrix.Users, d, objective, itemFactors, options.Threads, cancellationToken);
            AlternatingLeastSquares.SolveSide(matrix.Users, matrix.UserOffsets, matrix.UserItems, matrix.UserValues,
                itemFactors, matrix.Items, d, objective, userFactors, options.Threads, cancellationToken);
            if (progress is not null)
            {
                double loss = AlternatingLeastSquares.Loss(matrix, userFactors, itemFactors, d, objective, options.Threads);
                progress.Report(new TrainProgress(epoch + 1, options.Epochs, loss / Math.Max(1, matrix.Count), stopwatch.Elapsed));
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        Model = new RidgeFactorServing(matrix.Users, matrix.Items, d, userFactors, itemFactors,
            ImplicitFeedback.Popularity(train), FoldInOf(options.PositiveWeight, options.L2));
    }

    private protected override void WriteHeader(BinaryWriter writer, int bodyVersion)
        => ModelRegistration.WriteHeader(writer, KindName, bodyVersion, Options);
}
