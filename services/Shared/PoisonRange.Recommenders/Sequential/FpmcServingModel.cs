using System.Buffers;
using System.Numerics.Tensors;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// The immutable serving form of FPMC: x(u, l, j) = p_u·q_j + c_l·w_j [+ b_j] for user u whose last
/// item is l, with p = V^{U,I}, q = V^{I,U}, c = V^{L,I}, w = V^{I,L}. Plain arrays and
/// System.Numerics.Tensors only: a ranking is 2d SIMD multiply-adds over factor-major copies of
/// the item matrices. Thread-safe; buffers come from the stack or the shared array pool.
/// </summary>
/// <remarks>
/// <para><b>Fold-in.</b> S-BPR trains p_u so that, for every transition l → i of the user's
/// sequence, the margin x(u,l,i) − x(u,l,j) over a uniformly drawn other item j is large. An unseen
/// history gets, with all item parameters fixed, the ridge least-squares fit of the expected margin
/// of each of its transitions to the margin m that training transitions achieve:</para>
/// <code>
/// L(p) = 1/|T| Σ_{(l→i)∈T} (m − p·(q_i − q̄_N) − c_l·(w_i − w̄_N) − b_i + b̄_N)² + λ‖p‖²
/// </code>
/// <para>(N: the items not in the history; means over N from precomputed catalogue totals), so
/// p = (RᵀR/|T| + λI)⁻¹ Rᵀy/|T| with rows r = q_i − q̄_N and targets y = m − c_l·(w_i − w̄_N) − b_i + b̄_N.
/// It is BPR-MF's fold-in (<see cref="Factorization.FactorServingModel"/>) applied to S-BPR: the
/// transition term is known for every transition, so the user factor only has to explain what the
/// transitions do not. O(|T|·d²) to build and O(d³/6) to solve by Cholesky; deterministic. m is the
/// mean expected margin of the training transitions and λ is <c>FoldInL2</c> times the mean
/// eigenvalue of the covariance of q. A one-item history has no transition and gets p = 0; the
/// transition from the last item of the history is then added to the scores.</para>
/// </remarks>
internal sealed class FpmcServingModel
{
    public FpmcServingModel(int users, int items, int factors, float[] userFactors, float[] itemFactors, float[] nextFactors, float[] previousFactors,
        float[]? itemBias, float[] popularity, int[] lastItem, float foldInMargin, double foldInL2)
    {
        if (userFactors.Length != (long)users * factors) throw new ArgumentException("User factors do not match the dimensions.", nameof(userFactors));
        if (itemFactors.Length != (long)items * factors) throw new ArgumentException("Item factors do not match the dimensions.", nameof(itemFactors));
        if (nextFactors.Length != (long)items * factors) throw new ArgumentException("Next-item factors do not match the dimensions.", nameof(nextFactors));
        if (previousFactors.Length != (long)items * factors) throw new ArgumentException("Previous-item factors do not match the dimensions.", nameof(previousFactors));
        if (itemBias is not null && itemBias.Length != items) throw new ArgumentException("Item bias does not match the dimensions.", nameof(itemBias));
        if (popularity.Length != items) throw new ArgumentException("Popularity does not match the dimensions.", nameof(popularity));
        if (lastItem.Length != users) throw new ArgumentException("Last items do not match the users.", nameof(lastItem));

        Users = users;
        Items = items;
        Factors = factors;
        UserFactors = userFactors;
        ItemFactors = itemFactors;
        NextFactors = nextFactors;
        PreviousFactors = previousFactors;
        ItemBias = itemBias;
        Popularity = popularity;
        LastItem = lastItem;
        FoldInMargin = foldInMargin;
        FoldInL2 = foldInL2;

        _itemByFactor = RidgeFoldIn.FactorMajor(itemFactors, items, factors);
        _nextByFactor = RidgeFoldIn.FactorMajor(nextFactors, items, factors);

        _itemSum = RidgeFoldIn.ColumnSums(itemFactors, items, factors);
        _nextSum = RidgeFoldIn.ColumnSums(nextFactors, items, factors);
        for (int j = 0; j < items; j++) _biasSum += itemBias?[j] ?? 0;
        _ridge = foldInL2 * RidgeFoldIn.MeanEigenvalue(itemFactors, items, factors);
    }

    public int Users { get; }
    public int Items { get; }
    public int Factors { get; }

    /// <summary>V^{U,I}: users × d, row-major.</summary>
    public float[] UserFactors { get; }

    /// <summary>V^{I,U}: items × d, row-major (the item against the user).</summary>
    public float[] ItemFactors { get; }

    /// <summary>V^{I,L}: items × d, row-major (the item as the next item).</summary>
    public float[] NextFactors { get; }

    /// <summary>V^{L,I}: items × d, row-major (the item as the previous item).</summary>
    public float[] PreviousFactors { get; }

    public float[]? ItemBias { get; }

    /// <summary>Training interactions per item, the fallback ranking.</summary>
    public float[] Popularity { get; }

    /// <summary>Per user, the last training item (−1 when the user had none).</summary>
    public int[] LastItem { get; }

    public float FoldInMargin { get; }
    public double FoldInL2 { get; }

    private readonly float[] _itemByFactor;
    private readonly float[] _nextByFactor;
    private readonly double[] _itemSum;
    private readonly double[] _nextSum;
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
        Score(UserFactors.AsSpan(user * Factors, Factors), last, scores);
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
        Span<float> vector = d <= 512 ? stackalloc float[d] : (rented = ArrayPool<float>.Shared.Rent(d)).AsSpan(0, d);
        try
        {
            if (!FoldIn(history, vector)) vector.Clear();
            Score(vector, history[^1], scores);
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>scores = b + Q p + W c_l, as 2d multiply-adds of contiguous rows of the factor-major matrices.</summary>
    public void Score(ReadOnlySpan<float> userVector, int previous, Span<float> scores)
    {
        int items = Items, d = Factors;
        if (ItemBias is null) scores.Clear();
        else ItemBias.CopyTo(scores);
        var c = PreviousFactors.AsSpan(previous * d, d);
        for (int k = 0; k < d; k++)
        {
            TensorPrimitives.MultiplyAdd(_itemByFactor.AsSpan(k * items, items), userVector[k], scores, scores);
            TensorPrimitives.MultiplyAdd(_nextByFactor.AsSpan(k * items, items), c[k], scores, scores);
        }
    }

    /// <summary>
    /// Solves the fold-in system for the ordered <paramref name="history"/> into
    /// <paramref name="userVector"/>; false when it carries no ranking information (empty, or the
    /// whole catalogue).
    /// </summary>
    public bool FoldIn(ReadOnlySpan<int> history, Span<float> userVector)
    {
        if (history.IsEmpty) return false;
        int d = Factors;
        int[] distinct = RidgeFoldIn.RentDistinct(history, out int h);
        double[] work = ArrayPool<double>.Shared.Rent(d * d + 6 * d);
        try
        {
            var seen = distinct.AsSpan(0, h);
            int negatives = Items - h;
            if (negatives <= 0) return false;

            var a = work.AsSpan(0, d * d);
            var rhs = work.AsSpan(d * d, d);
            var meanItem = work.AsSpan(d * d + d, d);
            var meanNext = work.AsSpan(d * d + 2 * d, d);
            var r = work.AsSpan(d * d + 3 * d, d);
            var q = work.AsSpan(d * d + 4 * d, d);
            var w = work.AsSpan(d * d + 5 * d, d);
            a.Clear();
            rhs.Clear();

            // q̄_N, w̄_N and b̄_N from the catalogue totals minus the history.
            meanItem.Clear();
            meanNext.Clear();
            double biasH = 0;
            foreach (var i in seen)
            {
                RidgeFoldIn.Row(ItemFactors, i, q);
                TensorPrimitives.Add(meanItem, q, meanItem);
                RidgeFoldIn.Row(NextFactors, i, w);
                TensorPrimitives.Add(meanNext, w, meanNext);
                biasH += ItemBias?[i] ?? 0;
            }
            TensorPrimitives.Subtract(_itemSum, meanItem, meanItem);
            TensorPrimitives.Multiply(meanItem, 1.0 / negatives, meanItem);
            TensorPrimitives.Subtract(_nextSum, meanNext, meanNext);
            TensorPrimitives.Multiply(meanNext, 1.0 / negatives, meanNext);
            double biasMeanNegative = (_biasSum - biasH) / negatives;

            int transitions = history.Length - 1;
            if (transitions == 0)
            {
                userVector.Clear();
                return true;
            }
            double m = FoldInMargin;
            for (int t = 1; t < history.Length; t++)
            {
                int l = history[t - 1], i = history[t];
                RidgeFoldIn.Row(ItemFactors, i, q);
                TensorPrimitives.Subtract(q, meanItem, r);
                RidgeFoldIn.Row(NextFactors, i, w);
                TensorPrimitives.Subtract(w, meanNext, w);
                double transition = 0;
                var c = PreviousFactors.AsSpan(l * d, d);
                for (int k = 0; k < d; k++) transition += c[k] * w[k];
                double target = m - transition - (ItemBias?[i] ?? 0) + biasMeanNegative;
                RidgeFoldIn.Accumulate(a, rhs, r, target);
            }
            if (!RidgeFoldIn.Solve(a, rhs, transitions, _ridge)) return false;
            for (int k = 0; k < d; k++) userVector[k] = (float)rhs[k];
            return true;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(distinct);
            ArrayPool<double>.Shared.Return(work);
        }
    }

    /// <summary>
    /// The fold-in's target margin m: the mean over the training transitions l → i of user u of
    /// p_u·(q_i − q̄_{N_u}) + c_l·(w_i − w̄_{N_u}) + b_i − b̄_{N_u}, N_u the items u has not interacted with.
    /// </summary>
    public static float MeanTrainingMargin(TransitionSet data, int factors, float[] userFactors, float[] itemFactors, float[] nextFactors,
        float[] previousFactors, float[]? itemBias)
    {
        int d = factors, items = data.Items;
        var itemSum = RidgeFoldIn.ColumnSums(itemFactors, items, d);
        var nextSum = RidgeFoldIn.ColumnSums(nextFactors, items, d);
        double biasSum = 0;
        for (int j = 0; j < items; j++) biasSum += itemBias?[j] ?? 0;

        // Per user, the negatives' means; transitions are grouped by user in TransitionSet.
        var meanItem = new double[d];
        var meanNext = new double[d];
        double meanBias = 0, total = 0;
        int currentUser = -1;
        for (int t = 0; t < data.Count; t++)
        {
            int u = data.TransitionUsers[t];
            if (u != currentUser)
            {
                currentUser = u;
                var positives = data.Positives[u];
                int negatives = items - positives.Length;
                Array.Copy(itemSum, meanItem, d);
                Array.Copy(nextSum, meanNext, d);
                meanBias = biasSum;
                foreach (var i in positives)
                {
                    for (int k = 0; k < d; k++)
                    {
                        meanItem[k] -= itemFactors[i * d + k];
                        meanNext[k] -= nextFactors[i * d + k];
                    }
                    meanBias -= itemBias?[i] ?? 0;
                }
                TensorPrimitives.Multiply(meanItem, 1.0 / negatives, meanItem);
                TensorPrimitives.Multiply(meanNext, 1.0 / negatives, meanNext);
                meanBias /= negatives;
            }
            int l = data.Previous[t], next = data.Next[t];
            double margin = (itemBias?[next] ?? 0) - meanBias;
            for (int k = 0; k < d; k++)
            {
                margin += userFactors[u * d + k] * (itemFactors[next * d + k] - meanItem[k]);
                margin += previousFactors[l * d + k] * (nextFactors[next * d + k] - meanNext[k]);
            }
            total += margin;
        }
        return data.Count == 0 ? 1f : (float)(total / data.Count);
    }
}
