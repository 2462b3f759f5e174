using System.Buffers;
using System.Numerics.Tensors;
using PoisonRange.Recommenders.Sequential;

namespace PoisonRange.Recommenders.Factorization;

/// <summary>
/// The immutable serving form of a latent-factor model whose score is
/// s(u, j) = p_u · q_j + b_j. Plain arrays, no TorchSharp: scoring is a matrix-vector product over
/// a factor-major copy of the item matrix (d SIMD multiply-adds over the whole catalogue), safe
/// from any number of threads, and allocation-free.
/// </summary>
/// <remarks>
/// <para><b>Fold-in.</b> BPR trains p_u so that the margin x_uij = p_u·(q_i − q_j) + b_i − b_j of a
/// history item i over a uniformly drawn other item j is large. An unseen history H (with N, the
/// items not in H) gets, with the item factors and biases fixed, the ridge least-squares fit of
/// that expected margin to the margin m that trained users achieve:</para>
/// <code>
/// L(p) = 1/|H| Σ_{i∈H} (m − E_{j∈N}[x_ij])² + λ‖p‖²,   E_{j∈N}[x_ij] = p·(q_i − q̄_N) + b_i − b̄_N
/// </code>
/// <para>so p = (RᵀR/|H| + λI)⁻¹ Rᵀc/|H| with rows r_i = q_i − q̄_N and c_i = m − b_i + b̄_N. It is the
/// squared-loss linearisation of BPR's objective around its expected pair, with every negative
/// (not a sample) entering through the catalogue mean, which the model keeps precomputed: O(|H|·d²)
/// to build and O(d³/6) to solve by Cholesky, independent of the catalogue size, and deterministic.
/// (Squaring every pair instead, as RankALS does, adds a penalty on the spread of the negatives'
/// scores that BPR does not have; it flattens the folded-in ranking towards the item biases.)
/// m is the mean of p_u·(q̄_{H_u} − q̄_{N_u}) + b̄_{H_u} − b̄_{N_u} over the training users weighted by
/// history length, so folded-in vectors live on the scale of trained ones, and λ is
/// <c>FoldInL2</c> times the mean eigenvalue of the item factors' covariance. An empty history (or
/// one covering the whole catalogue) scores by training popularity.</para>
/// </remarks>
internal sealed class FactorServingModel
{
    public FactorServingModel(int users, int items, int factors, float[] userFactors, float[] itemFactors, float[]? itemBias,
        float[] popularity, float foldInMargin, double foldInL2)
    {
        if (userFactors.Length != (long)users * factors) throw new ArgumentException("User factors do not match the dimensions.", nameof(userFactors));
        if (itemFactors.Length != (long)items * factors) throw new ArgumentException("Item factors do not match the dimensions.", nameof(itemFactors));
        if (itemBias is not null && itemBias.Length != items) throw new ArgumentException("Item bias does not match the dimensions.", nameof(itemBias));
        if (popularity.Length != items) throw new ArgumentException("Popularity does not match the dimensions.", nameof(popularity));

        Users = users;
        Items = items;
        Factors = factors;
        UserFactors = userFactors;
        ItemFactors = itemFactors;
        ItemBias = itemBias;
        Popularity = popularity;
        FoldInMargin = foldInMargin;
        FoldInL2 = foldInL2;

        _itemFactorsByFactor = new float[itemFactors.Length];
        for (int j = 0; j < items; j++)
            for (int k = 0; k < factors; k++)
                _itemFactorsByFactor[(long)k * items + j] = itemFactors[(long)j * factors + k];

        // Catalogue totals for the fold-in, in double precision.
        int d = factors;
        _itemSum = new double[d];
        double squaredNorms = 0;
        var q = new double[d];
        for (int j = 0; j < items; j++)
        {
            ItemRow(j, q);
            TensorPrimitives.Add(_itemSum, q, _itemSum);
            squaredNorms += TensorPrimitives.Dot<double>(q, q);
            _biasSum += itemBias?[j] ?? 0;
        }
        double meanEigenvalue = items > 0 && d > 0
            ? (squaredNorms - TensorPrimitives.Dot<double>(_itemSum, _itemSum) / items) / items / d
            : 0;
        _ridge = foldInL2 * (meanEigenvalue > 1e-12 ? meanEigenvalue : 1.0);
    }

    public int Users { get; }
    public int Items { get; }
    public int Factors { get; }

    /// <summary>Users × d, row-major.</summary>
    public float[] UserFactors { get; }

    /// <summary>Items × d, row-major.</summary>
    public float[] ItemFactors { get; }

    public float[]? ItemBias { get; }

    /// <summary>Training interactions per item, the fallback ranking.</summary>
    public float[] Popularity { get; }

    public float FoldInMargin { get; }
    public double FoldInL2 { get; }

    private readonly float[] _itemFactorsByFactor;
    private readonly double[] _itemSum;
    private readonly double _biasSum;
    private readonly double _ridge;

    public void ScoreUser(int user, Span<float> scores)
    {
        if ((uint)user >= (uint)Users)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{Users - 1}.");
        CheckScores(scores);
        ScoreVector(UserFactors.AsSpan(user * Factors, Factors), scores);
    }

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores)
    {
        CheckScores(scores);
        foreach (var item in history)
            if ((uint)item >= (uint)Items)
                throw new ArgumentOutOfRangeException(nameof(history), item, $"History item {item} is outside 0..{Items - 1}.");

        float[]? rented = null;
        Span<float> vector = Factors <= 512 ? stackalloc float[Factors] : (rented = ArrayPool<float>.Shared.Rent(Factors)).AsSpan(0, Factors);
        try
        {
            if (FoldIn(history, vector))
                ScoreVector(vector, scores);
            else
                Popularity.CopyTo(scores);
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>scores = b + Qᵀp, as d multiply-adds of contiguous item rows of the factor-major matrix.</summary>
    public void ScoreVector(ReadOnlySpan<float> userVector, Span<float> scores)
    {
        int items = Items;
        if (ItemBias is null) scores.Clear();
        else ItemBias.CopyTo(scores);
        var byFactor = _itemFactorsByFactor.AsSpan();
        for (int k = 0; k < userVector.Length; k++)
            TensorPrimitives.MultiplyAdd(byFactor.Slice(k * items, items), userVector[k], scores, scores);
    }

    /// <summary>
    /// Solves the fold-in system for <paramref name="history"/> into <paramref name="userVector"/>;
    /// false when the history carries no ranking information (empty, or the whole catalogue).
    /// Order and repeats in the history do not matter.
    /// </summary>
    public bool FoldIn(ReadOnlySpan<int> history, Span<float> userVector)
    {
        if (history.IsEmpty) return false;
        int d = Factors;
        int[] distinct = RidgeFoldIn.RentDistinct(history, out int h);
        double[] work = ArrayPool<double>.Shared.Rent(d * d + 4 * d);
        try
        {
            var items = distinct.AsSpan(0, h);
            int negatives = Items - h;
            if (negatives <= 0) return false;

            var a = work.AsSpan(0, d * d);
            var rhs = work.AsSpan(d * d, d);
            var meanNegative = work.AsSpan(d * d + d, d);
            var r = work.AsSpan(d * d + 2 * d, d);
            var q = work.AsSpan(d * d + 3 * d, d);
            a.Clear();
            rhs.Clear();

            // q̄_N and b̄_N from the catalogue totals minus the history.
            meanNegative.Clear();
            double biasH = 0;
            foreach (var i in items)
            {
                ItemRow(i, q);
                TensorPrimitives.Add(meanNegative, q, meanNegative);
                biasH += ItemBias?[i] ?? 0;
            }
            TensorPrimitives.Subtract(_itemSum, meanNegative, meanNegative);
            TensorPrimitives.Multiply(meanNegative, 1.0 / negatives, meanNegative);
            double biasMeanNegative = (_biasSum - biasH) / negatives;

            // A = Σ r_i r_iᵀ / h + λI,  rhs = Σ (m − b_i + b̄_N) r_i / h
            double m = FoldInMargin;
            foreach (var i in items)
            {
                ItemRow(i, q);
                TensorPrimitives.Subtract(q, meanNegative, r);
                RidgeFoldIn.Accumulate(a, rhs, r, m - (ItemBias?[i] ?? 0) + biasMeanNegative);
            }
            if (!RidgeFoldIn.Solve(a, rhs, h, _ridge)) return false;
            for (int k = 0; k < d; k++) userVector[k] = (float)rhs[k];
            return true;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(distinct);
            ArrayPool<double>.Shared.Return(work);
        }
    }

    private void ItemRow(int item, Span<double> destination)
    {
        var row = ItemFactors.AsSpan(item * Factors, Factors);
        for (int k = 0; k < row.Length; k++) destination[k] = row[k];
    }

    private void CheckScores(Span<float> scores)
    {
        if (scores.Length != Items)
            throw new ArgumentException($"The score buffer has {scores.Length} entries; the model scores {Items} items.", nameof(scores));
    }

    /// <summary>
    /// The fold-in's target margin m: the mean over training users of
    /// p_u·(q̄_{H_u} − q̄_{N_u}) + b̄_{H_u} − b̄_{N_u} (distinct history items H_u, the other items N_u),
    /// weighted by history length.
    /// </summary>
    public static float MeanTrainingMargin(int users, int items, int factors, float[] userFactors, float[] itemFactors, float[]? itemBias, int[][] positives)
    {
        int d = factors;
        var itemSum = new double[d];
        double biasSum = 0;
        var q = new double[d];
        for (int j = 0; j < items; j++)
        {
            for (int k = 0; k < d; k++) q[k] = itemFactors[j * d + k];
            TensorPrimitives.Add(itemSum, q, itemSum);
            biasSum += itemBias?[j] ?? 0;
        }

        var sum = new double[d];
        double total = 0;
        long count = 0;
        for (int u = 0; u < users; u++)
        {
            var history = positives[u];
            int h = history.Length, n = items - h;
            if (h == 0 || n <= 0) continue;
            Array.Clear(sum);
            double bias = 0;
            foreach (var i in history)
            {
                for (int k = 0; k < d; k++) q[k] = itemFactors[i * d + k];
                TensorPrimitives.Add(sum, q, sum);
                bias += itemBias?[i] ?? 0;
            }
            double margin = bias / h - (biasSum - bias) / n;
            for (int k = 0; k < d; k++)
                margin += userFactors[u * d + k] * (sum[k] / h - (itemSum[k] - sum[k]) / n);
            total += margin * h;
            count += h;
        }
        return count == 0 ? 1f : (float)(total / count);
    }
}
