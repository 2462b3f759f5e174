using System.Buffers;
using System.Numerics.Tensors;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Sequential;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// The immutable serving form of <see cref="ItemAe"/>: the items' codes h_i (the decoder's last
/// hidden layer, computed once after training) and the users' output units (p_u, c_u), so that
/// s(u, i) = p_u·h_i + c_u, the reconstruction of entry (u, i). Plain arrays, no TorchSharp:
/// scoring is a matrix-vector product over a code-major copy of the item codes, safe from any
/// number of threads.
/// </summary>
/// <remarks>
/// <para><b>Fold-in.</b> ItemAE's input is an item's column over the training users, so a new user
/// has no input weights: without retraining, their interactions cannot change any item's code.
/// What a new user does have is an output unit, and the training loss restricted to that unit is
/// a weighted least-squares problem in (p, c) with the codes fixed:</para>
/// <code>
/// L(p, c) = Σ_i w_i (x_i − p·h_i − c)² + λ‖p‖²,   w_i = α if i ∈ H else 1,  x_i = 1 if i ∈ H else 0
/// </code>
/// <para>whose minimiser solves (Σ_i h̃_i h̃_iᵀ + (α − 1) Σ_{i∈H} h̃_i h̃_iᵀ + λI′)[p; c] = α Σ_{i∈H} h̃_i with
/// h̃ = [h; 1] and I′ the identity without the bias entry. The catalogue Gram matrix B (with the
/// ridge) and B⁻¹ are precomputed, so a fold-in is independent of the catalogue size and
/// deterministic: a history shorter than half the code dimension is a rank-|H| update of B, solved
/// by the Woodbury identity in O(|H|·d² + |H|³) (about 1 M operations for 15 items at d = 257);
/// a longer one adds its rank-one terms to B and solves by Cholesky in O(|H|·d² + d³/6). λ is <c>FoldInL2</c> times the mean
/// eigenvalue of Σ_i h_i h_iᵀ; training users' units are the same minimiser up to the optimiser's
/// convergence and Adam's small weight decay. An empty history scores by training popularity.</para>
/// </remarks>
internal sealed class ItemAeServingModel
{
    public ItemAeServingModel(int users, int items, int hidden, float[] itemCodes, float[] userWeights, float[] userBias,
        float[] popularity, double positiveWeight, double foldInL2)
    {
        if (itemCodes.Length != (long)items * hidden) throw new ArgumentException("Item codes do not match the dimensions.", nameof(itemCodes));
        if (userWeights.Length != (long)users * hidden) throw new ArgumentException("User weights do not match the dimensions.", nameof(userWeights));
        if (userBias.Length != users) throw new ArgumentException("User bias does not match the dimensions.", nameof(userBias));
        if (popularity.Length != items) throw new ArgumentException("Popularity does not match the dimensions.", nameof(popularity));

        Users = users;
        Items = items;
        Hidden = hidden;
        ItemCodes = itemCodes;
        UserWeights = userWeights;
        UserBias = userBias;
        Popularity = popularity;
        PositiveWeight = positiveWeight;
        FoldInL2 = foldInL2;
        _codesByDimension = Serving.Transpose(itemCodes, items, hidden);

        // Gram matrix of the augmented codes [h; 1], in double precision.
        int n = hidden + 1;
        _gram = new double[n * n];
        var row = new double[n];
        for (int i = 0; i < items; i++)
        {
            Augmented(i, row);
            // Lower triangle only: the Cholesky solve reads nothing else.
            for (int r = 0; r < n; r++)
            {
                var target = _gram.AsSpan(r * n, r + 1);
                TensorPrimitives.MultiplyAdd(row.AsSpan(0, r + 1), row[r], target, target);
            }
        }
        double trace = 0;
        for (int k = 0; k < hidden; k++) trace += _gram[k * n + k];
        double meanEigenvalue = hidden > 0 ? trace / hidden : 0;
        _ridge = foldInL2 * (meanEigenvalue > 1e-12 ? meanEigenvalue : 1.0);

        // B⁻¹ with B = Gram + λI′, for the low-rank update of short histories.
        var factor = (double[])_gram.Clone();
        for (int k = 0; k < hidden; k++) factor[k * n + k] += _ridge;
        _inverse = new double[n * n];
        if (Cholesky.Factor(factor, n))
        {
            var column = new double[n];
            for (int c = 0; c < n; c++)
            {
                Array.Clear(column);
                column[c] = 1;
                Cholesky.Substitute(factor, column, n);
                for (int r = 0; r < n; r++) _inverse[r * n + c] = column[r];
            }
        }
        else
        {
            _inverse = null;
        }
    }

    public int Users { get; }
    public int Items { get; }
    public int Hidden { get; }

    /// <summary>Items × hidden, row-major.</summary>
    public float[] ItemCodes { get; }

    /// <summary>Users × hidden, row-major: the output layer's weights.</summary>
    public float[] UserWeights { get; }
    public float[] UserBias { get; }
    public float[] Popularity { get; }
    public double PositiveWeight { get; }
    public double FoldInL2 { get; }

    private readonly float[] _codesByDimension;
    private readonly double[] _gram;
    private readonly double _ridge;
    private readonly double[]? _inverse;

    public void ScoreUser(int user, Span<float> scores)
    {
        Serving.CheckUser(Users, user);
        Serving.CheckScores(Items, scores);
        ScoreVector(UserWeights.AsSpan(user * Hidden, Hidden), UserBias[user], scores);
    }

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores)
    {
        Serving.CheckScores(Items, scores);
        Serving.CheckHistory(Items, history);
        var unit = ArrayPool<float>.Shared.Rent(Hidden + 1);
        try
        {
            if (FoldIn(history, unit.AsSpan(0, Hidden + 1)))
                ScoreVector(unit.AsSpan(0, Hidden), unit[Hidden], scores);
            else
                Popularity.CopyTo(scores);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(unit);
        }
    }

    /// <summary>scores = c + Hᵀp over the code-major item matrix.</summary>
    public void ScoreVector(ReadOnlySpan<float> weights, float bias, Span<float> scores)
    {
        scores.Fill(bias);
        var byDimension = _codesByDimension.AsSpan();
        for (int k = 0; k < weights.Length; k++)
            TensorPrimitives.MultiplyAdd(byDimension.Slice(k * Items, Items), weights[k], scores, scores);
    }

    /// <summary>
    /// Solves the fold-in system for <paramref name="history"/> into <paramref name="unit"/> ([p; c],
    /// hidden + 1 values); false for an empty history. Order and repeats do not matter.
    /// <paramref name="direct"/> forces the Cholesky path (for tests).
    /// </summary>
    public bool FoldIn(ReadOnlySpan<int> history, Span<float> unit, bool direct = false)
    {
        if (history.IsEmpty) return false;
        int n = Hidden + 1;
        var distinct = RidgeFoldIn.RentDistinct(history, out int count);
        try
        {
            var items = distinct.AsSpan(0, count);
            return !direct && _inverse is not null && 2 * count < n
                ? FoldInLowRank(items, unit)
                : FoldInDirect(items, unit);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(distinct);
        }
    }

    /// <summary>(B + (α − 1)UᵀU)x = αUᵀ1 by Cholesky on the full system (U: the history's augmented codes).</summary>
    private bool FoldInDirect(ReadOnlySpan<int> items, Span<float> unit)
    {
        int n = Hidden + 1;
        var work = ArrayPool<double>.Shared.Rent(n * n + 2 * n);
        try
        {
            var a = work.AsSpan(0, n * n);
            var rhs = work.AsSpan(n * n, n);
            var row = work.AsSpan(n * n + n, n);
            _gram.CopyTo(a);
            for (int k = 0; k < Hidden; k++) a[k * n + k] += _ridge;
            rhs.Clear();
            double extra = PositiveWeight - 1;
            foreach (var i in items)
            {
                Augmented(i, row);
                for (int r = 0; r < n; r++)
                {
                    var target = a.Slice(r * n, r + 1);
                    TensorPrimitives.MultiplyAdd(row[..(r + 1)], extra * row[r], target, target);
                }
                TensorPrimitives.MultiplyAdd(row, PositiveWeight, rhs, rhs);
            }
            if (!Cholesky.Solve(a, rhs, n)) return false;
            for (int k = 0; k < n; k++) unit[k] = (float)rhs[k];
            return true;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(work);
        }
    }

    /// <summary>
    /// The same solution by the Woodbury identity: with M = U B⁻¹ (rows m_t = B⁻¹h̃_t), y = B⁻¹αUᵀ1 = αΣ_t m_t,
    /// S = I/(α − 1) + M Uᵀ and S z = U y, x = y − Mᵀz.
    /// </summary>
    private bool FoldInLowRank(ReadOnlySpan<int> items, Span<float> unit)
    {
        int n = Hidden + 1, h = items.Length;
        var inverse = _inverse!;
        var work = ArrayPool<double>.Shared.Rent(2 * h * n + h * h + 2 * n + h);
        try
        {
            var codes = work.AsSpan(0, h * n);
            var m = work.AsSpan(h * n, h * n);
            var s = work.AsSpan(2 * h * n, h * h);
            var y = work.AsSpan(2 * h * n + h * h, n);
            var x = work.AsSpan(2 * h * n + h * h + n, n);
            var z = work.AsSpan(2 * h * n + h * h + 2 * n, h);
            for (int t = 0; t < h; t++)
            {
                var code = codes.Slice(t * n, n);
                Augmented(items[t], code);
                var mt = m.Slice(t * n, n);
                for (int r = 0; r < n; r++) mt[r] = TensorPrimitives.Dot<double>(inverse.AsSpan(r * n, n), code);
            }
            y.Clear();
            for (int t = 0; t < h; t++) TensorPrimitives.Add(y, m.Slice(t * n, n), y);
            TensorPrimitives.Multiply(y, PositiveWeight, y);
            double extra = PositiveWeight - 1;
            if (extra > 0)
            {
                for (int a = 0; a < h; a++)
                {
                    for (int b = 0; b <= a; b++) s[a * h + b] = TensorPrimitives.Dot<double>(codes.Slice(a * n, n), m.Slice(b * n, n));
                    s[a * h + a] += 1 / extra;
                    z[a] = TensorPrimitives.Dot<double>(codes.Slice(a * n, n), y);
                }
                if (!Cholesky.Solve(s, z, h)) return false;
                y.CopyTo(x);
                for (int t = 0; t < h; t++) TensorPrimitives.MultiplyAdd(m.Slice(t * n, n), -z[t], x, x);
            }
            else
            {
                y.CopyTo(x);
            }
            for (int k = 0; k < n; k++) unit[k] = (float)x[k];
            return true;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(work);
        }
    }

    private void Augmented(int item, Span<double> destination)
    {
        var code = ItemCodes.AsSpan(item * Hidden, Hidden);
        for (int k = 0; k < code.Length; k++) destination[k] = code[k];
        destination[Hidden] = 1;
    }
}
