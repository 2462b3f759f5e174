using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// Explicit-rating matrix factorisation as attacked by Fang et al. (WWW 2020), Eq. 1, with the
/// missing cells of the rating matrix fitted as weighted zeros:
/// <code>
/// min_{X,Y} Σ_{(u,i)∈E} (r_ui − x_uᵀy_i)² + α Σ_{(u,i)∉E} (0 − x_uᵀy_i)² + λ(Σ_u ‖x_u‖² + Σ_i ‖y_i‖²),   r̂_ui = x_uᵀy_i
/// </code>
/// (no biases: the paper has none), trained by exact alternating least squares
/// (<see cref="AlternatingLeastSquares"/>). Top-N ranks the unseen items by predicted rating.
/// Datasets without ratings (or <see cref="RatingMfOptions.UseRatings"/> = false) use r = 1 for
/// every observed pair; a pair seen several times takes the mean of its ratings, read on the
/// scale of <see cref="RatingMfOptions.Scale"/>. Items nobody rated keep a zero vector and predict 0.
/// </summary>
/// <remarks>
/// <para><b>Missing cells.</b> Eq. 1 as written sums over the observed ratings only
/// (<see cref="RatingMfOptions.MissingWeight"/> α = 0 gives exactly that). Such a model is told
/// nothing about the items a user did not rate, yet those are the only items top-N ranks: their
/// predicted ratings are extrapolations, and on MovieLens-100K the ranking is below popularity
/// (leave-last-out HR@10 0.065 against 0.086); on implicit data, where every r is 1, there is
/// nothing to rank by at all. The paper itself counts the empty cells of a rating vector as zeros
/// where it fits a user it controls: Eq. 14 sums the fake user's term over every item of I, with
/// w_vi = 0 for the items it does not rate. The default α = 0.1 does the same for every user, with
/// a tenth of the weight of a real rating, so the observed ratings still dominate each row's fit
/// and the only change to each row's least-squares system is the α-weighted Gram term αYᵀY.
/// <see cref="RatingMfOptions"/> gives the measurements behind the defaults.</para>
/// <para><b>Fold-in.</b> The regularised least-squares user solve of the objective with the item
/// vectors fixed, (αYᵀY + (1 − α)Σ_{i∈H} y_i y_iᵀ + λI) x = Σ_{i∈H} r_i y_i (with α = 0 the
/// paper's own optimality condition, its Eq. 17). A history carries no ratings, so each item i
/// gets its mean training rating as r_i (the global mean for items nobody rated): a constant
/// would tell the solve that the user likes every history item equally much, which drags a
/// history of well-liked items towards the items whose ratings it resembles least. Without
/// ratings (implicit data, or <see cref="RatingMfOptions.UseRatings"/> = false) every r_i is 1
/// and a training user's own history folds in to exactly its trained vector. An empty history
/// scores by popularity.</para>
/// <para><b>Determinism.</b> Rows are solved independently in double precision; the result
/// depends on the seed only, not on the thread count.</para>
/// </remarks>
public sealed class RatingMf : RidgeFactorRecommender
{
    public const string KindName = "mf";
    private const int BodyVersion = 1;

    /// <summary><see cref="RatingScale.Auto"/> reads ratings on a log scale when any exceeds this (no star scale does).</summary>
    public const double AutoLogThreshold = 10;

    public RatingMf(RatingMfOptions? options = null)
        : base(KindName, BodyVersion)
    {
        Options = options ?? new RatingMfOptions();
    }

    /// <summary>The settings this model trains with.</summary>
    public RatingMfOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<RatingMfOptions, RatingMf>(
        KindName,
        "explicit-rating matrix factorisation, squared error on observed ratings and α-weighted zeros on missing cells, trained by ALS (Fang et al. 2020, Eq. 1)",
        options => new RatingMf(options),
        (model, header, reader) => model.LoadBody(reader));

    /// <summary>The mean training rating (the fold-in rating of items nobody rated).</summary>
    public double MeanRating => Model?.FoldInRule.Target ?? 0;

    /// <summary>The rating a folded-in history assumes for <paramref name="item"/>: its mean training rating.</summary>
    public double FoldInRating(int item)
    {
        var model = RequireModel();
        if ((uint)item >= (uint)model.Items)
            throw new ArgumentOutOfRangeException(nameof(item), item, $"Item {item} is outside 0..{model.Items - 1}.");
        return model.ItemTargets?[item] ?? model.FoldInRule.Target;
    }

    public override void Fit(InteractionDataset train, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.ItemCount == 0 || train.UserCount == 0)
            throw new ArgumentException($"Cannot train on {train}: it needs at least one user and one item.", nameof(train));
        cancellationToken.ThrowIfCancellationRequested();

        var stopwatch = Stopwatch.StartNew();
        var options = Options;
        int d = options.Factors;
        var matrix = Rescaled(InteractionMatrix.FromDataset(train, options.UseRatings ? CellValue.MeanRating : CellValue.One), options.Scale, train);
        var rng = new SeededRandom(options.Seed, BoundedIntegers.Full64Bits);
        var userFactors = AlternatingLeastSquares.RandomFactors(rng, matrix.Users, d, options.InitStd);
        var itemFactors = AlternatingLeastSquares.RandomFactors(rng, matrix.Items, d, options.InitStd);
        double alpha = options.MissingWeight;
        var objective = new AlternatingLeastSquares.Objective(GramWeight: alpha, ExtraWeight: 1 - alpha, TargetScale: 1, Lambda: options.L2);

        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            AlternatingLeastSquares.SolveSide(matrix.Items, matrix.ItemOffsets, matrix.ItemUsers, matrix.ItemValues,
                userFactors, matrix.Users, d, objective, itemFactors, options.Threads, cancellationToken);
            AlternatingLeastSquares.SolveSide(matrix.Users, matrix.UserOffsets, matrix.UserItems, matrix.UserValues,
                itemFactors, matrix.Items, d, objective, userFactors, options.Threads, cancellationToken);
            if (progress is not null)
            {
                // Loss: the objective (Eq. 1 plus the α-weighted missing cells) divided by the number of observed pairs.
                double loss = AlternatingLeastSquares.Loss(matrix, userFactors, itemFactors, d, objective, options.Threads);
                progress.Report(new TrainProgress(epoch + 1, options.Epochs, loss / Math.Max(1, matrix.Count), stopwatch.Elapsed));
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        var (mean, itemMeans) = FoldInRatings(matrix);
        var rule = new RidgeFoldIn(GramWeight: alpha, ExtraWeight: 1 - alpha, Target: mean, Lambda: options.L2);
        Model = new RidgeFactorServing(matrix.Users, matrix.Items, d, userFactors, itemFactors, ImplicitFeedback.Popularity(train), rule, itemMeans);
    }

    /// <summary>The matrix with its values read on <paramref name="scale"/> (the same matrix when they stay raw).</summary>
    private static InteractionMatrix Rescaled(InteractionMatrix matrix, RatingScale scale, InteractionDataset train)
    {
        var values = matrix.UserValues;
        if (scale == RatingScale.Auto)
            scale = values.Any(v => v > AutoLogThreshold) ? RatingScale.Log : RatingScale.Raw;
        if (scale == RatingScale.Raw) return matrix;
        if (values.Any(v => !(v >= 0)))
            throw new ArgumentException(
                $"Cannot read the ratings of {train} on a log scale: they include {values.First(v => !(v >= 0))}, and log(1 + r) needs r ≥ 0. " +
                $"Set {nameof(RatingMfOptions.Scale)} to {nameof(RatingScale.Raw)} to fit them as they are.", nameof(train));
        var logValues = new float[values.Length];
        for (int k = 0; k < values.Length; k++) logValues[k] = (float)Math.Log(1 + (double)values[k]);
        return InteractionMatrix.FromUserRows(matrix.Users, matrix.Items, matrix.UserOffsets, matrix.UserItems, logValues);
    }

    /// <summary>
    /// The ratings a folded-in history assumes: per item, its mean training rating (the global
    /// mean for items nobody rated); null per-item values when every rating is the same.
    /// </summary>
    private static (double Mean, float[]? ItemMeans) FoldInRatings(InteractionMatrix matrix)
    {
        double mean = matrix.MeanValue();
        if (matrix.UserValues.All(v => v == matrix.UserValues[0])) return (mean, null);
        var itemMeans = new float[matrix.Items];
        for (int i = 0; i < matrix.Items; i++)
        {
            var values = matrix.ValuesOfItem(i);
            double sum = 0;
            foreach (var v in values) sum += v;
            itemMeans[i] = values.Length == 0 ? (float)mean : (float)(sum / values.Length);
        }
        return (mean, itemMeans);
    }

    private protected override void WriteHeader(BinaryWriter writer, int bodyVersion)
        => ModelRegistration.WriteHeader(writer, KindName, bodyVersion, Options);
}
