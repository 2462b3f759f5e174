using System.Buffers;
using System.Numerics.Tensors;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// The immutable serving form of TransRec: x(u, l, j) = β_j − d(γ_l + t + t_u, γ_j) for user u
/// whose last item is l. Plain arrays and System.Numerics.Tensors only (the distances to every
/// item from one pass over a factor-major copy of the points); thread-safe, buffers from the stack
/// or the shared array pool.
/// </summary>
/// <remarks>
/// <para><b>Fold-in.</b> With the L2 distance an unseen history is scored from its last item with
/// the global translation alone (t_u = 0), the paper's treatment of a user without a personal
/// offset. With the squared L2 distance the offset enters the ranking linearly,
/// x(u,l,j) = β_j − ‖a_l − γ_j‖² + 2 t_u·γ_j + (terms without j), a_l = γ_l + t, so it is folded in
/// as the user factor of a matrix factorisation: with the items and t fixed, the ridge
/// least-squares fit of the expected S-BPR margin of each of the history's transitions l → i over
/// the items N outside the history to the margin m that training transitions achieve,</para>
/// <code>
/// L(t_u) = 1/|T| Σ_{(l→i)∈T} (m − base_l(i) − 2 t_u·(γ_i − γ̄_N))² + λ‖t_u‖²,
/// base_l(i) = β_i − β̄_N − ‖a_l − γ_i‖² + mean_{j∈N} ‖a_l − γ_j‖²
/// </code>
/// <para>(the mean over N from precomputed catalogue totals: ‖a_l‖² − 2a_l·γ̄_N + mean_N ‖γ_j‖²),
/// O(|T|·d²) and a d × d Cholesky solve; λ is <c>FoldInL2</c> times the mean eigenvalue of the
/// covariance of 2γ. A one-item history has no transition and keeps t_u = 0. An empty history
/// scores by training popularity.</para>
/// </remarks>
internal sealed class TransRecServingModel
{
    public TransRecServingModel(int users, int items, int factors, float[] itemPoints, float[] itemBias, float[] translation,
        float[] userTranslations, int[] lastItem, float[] popularity, TransRecDistance distance, float foldInMargin, double foldInL2)
    {
        if (itemPoints.Length != (long)items * factors) throw new ArgumentException("Item points do not match the dimensions.", nameof(itemPoints));
        if (itemBias.Length != items) throw new ArgumentException("Item bias does not match the dimensions.", nameof(itemBias));
        if (translation.Length != factors) throw new ArgumentException("The translation does not match the dimensions.", nameof(translation));
        if (userTranslations.Length != (long)users * factors) throw new ArgumentException("User translations do not match the dimensions.", nameof(userTranslations));
        if (lastItem.Length != users) throw new ArgumentException("Last items do not match the users.", nameof(lastItem));
        if (popularity.Length != items) throw new ArgumentException("Popularity does not match the dimensions.", nameof(popularity));
        Users = users;
        Items = items;
        Factors = factors;
        ItemPoints = itemPoints;
        ItemBias = itemBias;
        Translation = translation;
        UserTranslations = userTranslations;
        LastItem = lastItem;
        Popularity = popularity;
        Distance = distance;
        FoldInMargin = foldInMargin;
        FoldInL2 = foldInL2;

        _pointSum = RidgeFoldIn.ColumnSums(itemPoints, items, factors);
        _pointsByFactor = RidgeFoldIn.FactorMajor(itemPoints, items, factors);
        _squaredNorms = new double[items];
        _squaredNormsFloat = new float[items];
        var row = new double[factors];
        for (int j = 0; j < items; j++)
        {
            RidgeFoldIn.Row(itemPoints, j, row);
            _squaredNorms[j] = TensorPrimitives.Dot<double>(row, row);
            _squaredNormsFloat[j] = (float)_squaredNorms[j];
            _squaredNormSum += _squaredNorms[j];
            _biasSum += itemBias[j];
        }
        _ridge = foldInL2 * 4 * RidgeFoldIn.MeanEigenvalue(itemPoints, items, factors);
    }

    public int Users { get; }
    public int Items { get; }
    public int Factors { get; }

    /// <summary>γ: items × d, row-major.</summary>
    public float[] ItemPoints { get; }

    /// <summary>β: items.</summary>
    public float[] ItemBias { get; }

    /// <summary>t: d.</summary>
    public float[] Translation { get; }

    /// <summary>t_u: users × d, row-major.</summary>
    public float[] UserTranslations { get; }

    /// <summary>Per user, the last training item (−1 when the user had none).</summary>
    public int[] LastItem { get; }

    /// <summary>Training interactions per item, the fallback ranking.</summary>
    public float[] Popularity { get; }

    public TransRecDistance Distance { get; }

    /// <summary>The fold-in's target margin m (used with the squared L2 distance).</summary>
    public float FoldInMargin { get; }

    public double FoldInL2 { get; }

    private readonly double[] _pointSum;
    private readonly double[] _squaredNorms;
    private readonly float[] _squaredNormsFloat;
    private readonly float[] _pointsByFactor;
    private readonly double _squaredNormSum;
    private readonly double _biasSum;
    private readonly double _ridge;

    public void ScoreUser(int user, Span<float> scores)
    {
        SequentialCheckpoint.CheckUser(user, Users);
        SequentialCheckpoint.CheckScores(scores, Items);
        int last = LastItem[user];
        if (last < 0)
        {
            Popularity.CopyTo(scores);
            return;
        }
        ScoreFrom(last, UserTranslations.AsSpan(user * Factors, Factors), scores);
    }

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores)
    {
        SequentialCheckpoint.CheckScores(scores, Items);
        SequentialCheckpoint.CheckHistory(history, Items);
        if (history.IsEmpty)
        {
            Popularity.CopyTo(scores);
            return;
        }
        int d = Factors;
        float[]? rented = null;
        Span<float> offset = d <= 512 ? stackalloc float[d] : (rented = ArrayPool<float>.Shared.Rent(d)).AsSpan(0, d);
        try
        {
            if (!FoldIn(history, offset)) offset.Clear();
            ScoreFrom(history[^1], offset, scores);
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// scores_j = β_j − d(c, γ_j) with c = γ_l + t + offset, from ‖c − γ_j‖² = ‖γ_j‖² − 2c·γ_j + ‖c‖²:
    /// d SIMD multiply-adds over the factor-major points, then element-wise operations.
    /// </summary>
    public void ScoreFrom(int previous, ReadOnlySpan<float> offset, Span<float> scores)
    {
        int d = Factors, items = Items;
        float[]? rented = null;
        Span<float> center = d <= 512 ? stackalloc float[d] : (rented = ArrayPool<float>.Shared.Rent(d)).AsSpan(0, d);
        try
        {
            TensorPrimitives.Add(ItemPoints.AsSpan(previous * d, d), Translation, center);
            TensorPrimitives.Add(center, offset, center);
            // scores = ‖γ_j‖² − 2 c·γ_j + ‖c‖², the squared distance
            _squaredNormsFloat.CopyTo(scores);
            var byFactor = _pointsByFactor.AsSpan();
            for (int k = 0; k < d; k++)
                TensorPrimitives.MultiplyAdd(byFactor.Slice(k * items, items), -2 * center[k], scores, scores);
            TensorPrimitives.Add(scores, TensorPrimitives.Dot<float>(center, center), scores);
            if (Distance == TransRecDistance.L2)
            {
                // Rounding can leave a tiny negative square for a point at the centre.
                TensorPrimitives.Max(scores, 0f, scores);
                TensorPrimitives.Sqrt<float>(scores, scores);
            }
            TensorPrimitives.Subtract(ItemBias, scores, scores);
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Writes the folded-in offset t_u of an ordered history: zero for the L2 distance and for a
    /// history without a transition, else the ridge fit above. False when the history carries no
    /// ranking information (empty, or the whole catalogue).
    /// </summary>
    public bool FoldIn(ReadOnlySpan<int> history, Span<float> offset)
    {
        offset.Clear();
        if (history.IsEmpty) return false;
        if (Distance != TransRecDistance.SquaredL2 || history.Length < 2) return true;
        int d = Factors;
        int[] distinct = RidgeFoldIn.RentDistinct(history, out int h);
        double[] work = ArrayPool<double>.Shared.Rent(d * d + 4 * d);
        try
        {
            var seen = distinct.AsSpan(0, h);
            int negatives = Items - h;
            if (negatives <= 0) return false;

            var a = work.AsSpan(0, d * d);
            var rhs = work.AsSpan(d * d, d);
            var meanPoint = work.AsSpan(d * d + d, d);
            var r = work.AsSpan(d * d + 2 * d, d);
            var center = work.AsSpan(d * d + 3 * d, d);
            a.Clear();
            rhs.Clear();
            meanPoint.Clear();
            double normH = 0, biasH = 0;
            foreach (var i in seen)
            {
                RidgeFoldIn.Row(ItemPoints, i, r);
                TensorPrimitives.Add(meanPoint, r, meanPoint);
                normH += _squaredNorms[i];
                biasH += ItemBias[i];
            }
            TensorPrimitives.Subtract(_pointSum, meanPoint, meanPoint);
            TensorPrimitives.Multiply(meanPoint, 1.0 / negatives, meanPoint);
            double meanNorm = (_squaredNormSum - normH) / negatives;
            double meanBias = (_biasSum - biasH) / negatives;

            for (int t = 1; t < history.Length; t++)
            {
                int l = history[t - 1], i = history[t];
                for (int k = 0; k < d; k++) center[k] = (double)ItemPoints[l * d + k] + Translation[k];
                double centerNorm = TensorPrimitives.Dot<double>(center, center);
                double meanDistance = centerNorm - 2 * TensorPrimitives.Dot<double>(center, meanPoint) + meanNorm;
                double distance = 0;
                for (int k = 0; k < d; k++)
                {
                    double difference = center[k] - ItemPoints[i * d + k];
                    distance += difference * difference;
                    r[k] = 2 * (ItemPoints[i * d + k] - meanPoint[k]);
                }
                double baseMargin = ItemBias[i] - meanBias - distance + meanDistance;
                RidgeFoldIn.Accumulate(a, rhs, r, FoldInMargin - baseMargin);
            }
            if (!RidgeFoldIn.Solve(a, rhs, history.Length - 1, _ridge)) return false;
            for (int k = 0; k < d; k++) offset[k] = (float)rhs[k];
            return true;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(distinct);
            ArrayPool<double>.Shared.Return(work);
        }
    }

    /// <summary>
    /// The fold-in's target margin m for the squared L2 distance: the mean over the training
    /// transitions l → i of user u of the expected margin of i over the items N_u user u has not
    /// interacted with, β_i − β̄_{N_u} − ‖c − γ_i‖² + mean_{j∈N_u} ‖c − γ_j‖², c = γ_l + t + t_u.
    /// 1 for the L2 distance, whose fold-in does not use it.
    /// </summary>
    public static float MeanTrainingMargin(TransitionSet data, int factors, float[] itemPoints, float[] itemBias, float[] translation,
        float[] userTranslations, TransRecDistance distance)
    {
        if (data.Count == 0 || distance != TransRecDistance.SquaredL2) return 1f;
        int d = factors, items = data.Items;
        var pointSum = RidgeFoldIn.ColumnSums(itemPoints, items, d);
        double normSum = 0, biasSum = 0;
        for (int j = 0; j < items; j++)
        {
            var point = itemPoints.AsSpan(j * d, d);
            normSum += TensorPrimitives.Dot<float>(point, point);
            biasSum += itemBias[j];
        }

        // Per user, the negatives' means; transitions are grouped by user in TransitionSet.
        var meanPoint = new double[d];
        var center = new double[d];
        double meanNorm = 0, meanBias = 0, total = 0;
        int currentUser = -1;
        for (int t = 0; t < data.Count; t++)
        {
            int u = data.TransitionUsers[t];
            if (u != currentUser)
            {
                currentUser = u;
                var positives = data.Positives[u];
                int negatives = items - positives.Length;
                Array.Copy(pointSum, meanPoint, d);
                meanNorm = normSum;
                meanBias = biasSum;
                foreach (var i in positives)
                {
                    var point = itemPoints.AsSpan(i * d, d);
                    for (int k = 0; k < d; k++) meanPoint[k] -= point[k];
                    meanNorm -= TensorPrimitives.Dot<float>(point, point);
                    meanBias -= itemBias[i];
                }
                TensorPrimitives.Multiply(meanPoint, 1.0 / negatives, meanPoint);
                meanNorm /= negatives;
                meanBias /= negatives;
            }
            int l = data.Previous[t], next = data.Next[t];
            double distanceNext = 0;
            for (int k = 0; k < d; k++)
            {
                center[k] = (double)itemPoints[l * d + k] + translation[k] + userTranslations[u * d + k];
                double difference = center[k] - itemPoints[next * d + k];
                distanceNext += difference * difference;
            }
            double meanDistance = TensorPrimitives.Dot<double>(center, center) - 2 * TensorPrimitives.Dot<double>(center, meanPoint) + meanNorm;
            total += itemBias[next] - meanBias - distanceNext + meanDistance;
        }
        return (float)(total / data.Count);
    }
}
