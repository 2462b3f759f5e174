using System.Buffers;
using System.Numerics.Tensors;
using PoisonRange.Recommenders.Sequential;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// The immutable serving form of <see cref="Cml"/>: s(u, j) = −‖u − v_j‖² = 2u·v_j − ‖u‖² − ‖v_j‖²
/// over a coordinate-major copy of the item points (d SIMD multiply-adds over the catalogue), plain
/// arrays, no TorchSharp, safe from any number of threads.
/// </summary>
/// <remarks>
/// <para><b>Fold-in.</b> With the item points fixed, the new user's point minimises the expectation
/// of CML's training loss over the negative sampler, with every item outside the history H (the set
/// N) a possible negative. Training takes, per positive i, the closest of U uniform draws from N;
/// with N sorted by distance from p, that is the q-th closest with probability
/// π_q = ((|N| − q + 1)/|N|)^U − ((|N| − q)/|N|)^U, so</para>
/// <code>
/// L(p) = 1/|H| Σ_{i∈H} w_i Σ_q π_q [m + d_i(p) − d_(q)(p)]₊,   d_j(p) = ‖p − v_j‖²,   ‖p‖ ≤ 1
/// </code>
/// <para>with the rank weight w_i = log(1 + |I|·r_i/|N|) taken at the expected number of violating
/// draws (r_i the negatives inside item i's margin; 1 without rank weights), held constant within
/// a step as training holds it. Each hinge is linear in p (d_i − d_j = 2p·(v_j − v_i) + ‖v_i‖² −
/// ‖v_j‖²), so the subgradient is (2/|H|)·[Σ_q c_q v_(q) − Σ_i w_i Π(r_i) v_i] with c_q = π_q Σ_{i: r_i ≥ q} w_i
/// and Π(r) = Σ_{q≤r} π_q; with the negatives sorted it costs O(|I|·d + |I| log |I|) per step. The
/// search starts at the centroid of the history's points (inside the ball) and takes
/// <c>FoldInSteps</c> normalised projected subgradient steps of length <c>FoldInStepSize</c>/√t,
/// keeping the best iterate: deterministic, and never worse than the centroid under the objective.
/// Order and repeats in the history do not matter; an empty history (or one covering the catalogue)
/// scores by training popularity.</para>
/// </remarks>
internal sealed class CmlServingModel
{
    public CmlServingModel(int users, int items, int factors, float[] userPoints, float[] itemPoints, float[] popularity, CmlOptions settings)
    {
        if (userPoints.Length != (long)users * factors) throw new ArgumentException("User points do not match the dimensions.", nameof(userPoints));
        if (itemPoints.Length != (long)items * factors) throw new ArgumentException("Item points do not match the dimensions.", nameof(itemPoints));
        if (popularity.Length != items) throw new ArgumentException("Popularity does not match the dimensions.", nameof(popularity));
        Users = users;
        Items = items;
        Factors = factors;
        UserPoints = userPoints;
        ItemPoints = itemPoints;
        Popularity = popularity;
        _margin = settings.Margin;
        _useRankWeight = settings.UseRankWeight;
        _negatives = settings.Negatives;
        _foldInSteps = settings.FoldInSteps;
        _foldInStepSize = settings.FoldInStepSize;

        _pointsByCoordinate = Serving.Transpose(itemPoints, items, factors);
        _negativeSquaredNorms = new float[items];
        for (int j = 0; j < items; j++)
        {
            var v = itemPoints.AsSpan(j * factors, factors);
            _negativeSquaredNorms[j] = -TensorPrimitives.Dot(v, v);
        }
    }

    public int Users { get; }
    public int Items { get; }
    public int Factors { get; }

    /// <summary>Users × d, row-major.</summary>
    public float[] UserPoints { get; }

    /// <summary>Items × d, row-major.</summary>
    public float[] ItemPoints { get; }
    public float[] Popularity { get; }

    private readonly double _margin;
    private readonly bool _useRankWeight;
    private readonly int _negatives;
    private readonly int _foldInSteps;
    private readonly double _foldInStepSize;
    private readonly float[] _pointsByCoordinate;
    private readonly float[] _negativeSquaredNorms;

    public void ScoreUser(int user, Span<float> scores)
    {
        Serving.CheckUser(Users, user);
        Serving.CheckScores(Items, scores);
        ScorePoint(UserPoints.AsSpan(user * Factors, Factors), scores);
    }

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores)
    {
        Serving.CheckScores(Items, scores);
        Serving.CheckHistory(Items, history);
        var rented = ArrayPool<float>.Shared.Rent(Factors);
        try
        {
            var point = rented.AsSpan(0, Factors);
            if (FoldIn(history, point))
                ScorePoint(point, scores);
            else
                Popularity.CopyTo(scores);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>scores_j = 2p·v_j − ‖p‖² − ‖v_j‖².</summary>
    public void ScorePoint(ReadOnlySpan<float> point, Span<float> scores)
    {
        int items = Items;
        float norm = TensorPrimitives.Dot(point, point);
        TensorPrimitives.Subtract(_negativeSquaredNorms, norm, scores);
        var byCoordinate = _pointsByCoordinate.AsSpan();
        for (int k = 0; k < point.Length; k++)
            TensorPrimitives.MultiplyAdd(byCoordinate.Slice(k * items, items), 2 * point[k], scores, scores);
    }

    /// <summary>The fold-in of the remarks into <paramref name="point"/>; false when the history carries no ranking information.</summary>
    public bool FoldIn(ReadOnlySpan<int> history, Span<float> point)
    {
        if (history.IsEmpty) return false;
        int items = Items, d = Factors;
        var distinct = RidgeFoldIn.RentDistinct(history, out int count);
        int negatives = items - count;
        if (negatives <= 0)
        {
            ArrayPool<int>.Shared.Return(distinct);
            return false;
        }
        var floats = ArrayPool<float>.Shared.Rent(3 * items + 3 * d);
        var order = ArrayPool<int>.Shared.Rent(negatives);
        var doubles = ArrayPool<double>.Shared.Rent(2 * (negatives + 1) + 2 * count);
        try
        {
            var positives = distinct.AsSpan(0, count);
            var closest = doubles.AsSpan(negatives + 1 + 2 * count, negatives + 1);
            ClosestOfSample(negatives, closest);
            var scores = floats.AsSpan(0, items);
            var keys = floats.AsSpan(items, negatives);
            var coefficients = floats.AsSpan(2 * items, items);
            var gradient = floats.AsSpan(3 * items, d);
            var best = floats.AsSpan(3 * items + d, d);
            var candidate = floats.AsSpan(3 * items + 2 * d, d);
            var ids = order.AsSpan(0, negatives);
            var prefix = doubles.AsSpan(0, negatives + 1);
            var weights = doubles.AsSpan(negatives + 1, count);
            var ranks = doubles.AsSpan(negatives + 1 + count, count);

            // Start: the centroid of the history's points (a convex combination, so inside the ball).
            candidate.Clear();
            foreach (var i in positives)
                TensorPrimitives.Add(candidate, ItemPoints.AsSpan(i * d, d), candidate);
            TensorPrimitives.Multiply(candidate, 1f / count, candidate);
            candidate.CopyTo(best);
            double bestLoss = double.PositiveInfinity;

            for (int step = 0; step <= _foldInSteps; step++)
            {
                double loss = Evaluate(candidate, positives, negatives, closest, scores, keys, ids, prefix, weights, ranks, coefficients, gradient);
                if (loss < bestLoss)
                {
                    bestLoss = loss;
                    candidate.CopyTo(best);
                }
                if (step == _foldInSteps) break;
                float length = MathF.Sqrt(TensorPrimitives.Dot<float>(gradient, gradient));
                if (!(length > 0)) break; // no violated margin: a minimum
                float size = (float)(_foldInStepSize / Math.Sqrt(step + 1));
                TensorPrimitives.MultiplyAdd(gradient, -size / length, candidate, candidate);
                float norm = MathF.Sqrt(TensorPrimitives.Dot<float>(candidate, candidate));
                if (norm > 1) TensorPrimitives.Multiply(candidate, 1 / norm, candidate);
            }
            best.CopyTo(point);
            return true;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(distinct);
            ArrayPool<float>.Shared.Return(floats);
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<double>.Shared.Return(doubles);
        }
    }

    /// <summary>The fold-in objective L(p) of the remarks for a history (non-empty, not the whole catalogue) and its subgradient; for tests and diagnostics.</summary>
    internal double FoldInObjective(ReadOnlySpan<int> history, ReadOnlySpan<float> point, Span<float> gradient)
    {
        int items = Items;
        var distinct = RidgeFoldIn.RentDistinct(history, out int count);
        int negatives = items - count;
        var floats = new float[3 * items];
        var ids = new int[negatives];
        var doubles = new double[negatives + 1 + 2 * count];
        var closest = new double[negatives + 1];
        ClosestOfSample(negatives, closest);
        try
        {
            return Evaluate(point, distinct.AsSpan(0, count), negatives, closest, floats.AsSpan(0, items), floats.AsSpan(items, negatives), ids,
                doubles.AsSpan(0, negatives + 1), doubles.AsSpan(negatives + 1, count), doubles.AsSpan(negatives + 1 + count, count),
                floats.AsSpan(2 * items, items), gradient);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(distinct);
        }
    }

    /// <summary>
    /// π_q of the remarks for q = 1..|N| into <paramref name="closest"/>[q − 1] (the last entry is unused):
    /// the probability that the closest of U uniform draws (with replacement) from |N| sorted negatives is the q-th.
    /// </summary>
    private void ClosestOfSample(int negatives, Span<double> closest)
    {
        double previous = 1; // P(closest index ≥ q) = ((N − q + 1)/N)^U, 1 for q = 1
        for (int q = 1; q <= negatives; q++)
        {
            double next = Math.Pow((double)(negatives - q) / negatives, _negatives);
            closest[q - 1] = previous - next;
            previous = next;
        }
    }

    /// <summary>The fold-in objective at <paramref name="point"/>; writes its subgradient into <paramref name="gradient"/>.</summary>
    private double Evaluate(ReadOnlySpan<float> point, ReadOnlySpan<int> positives, int negatives, ReadOnlySpan<double> closest, Span<float> scores,
        Span<float> keys, Span<int> ids, Span<double> prefix, Span<double> weights, Span<double> ranks, Span<float> coefficients, Span<float> gradient)
    {
        int items = Items;
        ScorePoint(point, scores); // −d_j

        // The negatives' squared distances, ascending, with π-weighted running sums.
        int n = 0, next = 0;
        for (int j = 0; j < items; j++)
        {
            if (next < positives.Length && positives[next] == j)
            {
                next++;
                continue;
            }
            keys[n] = -scores[j];
            ids[n] = j;
            n++;
        }
        keys.Sort(ids);
        prefix[0] = 0;
        for (int q = 0; q < negatives; q++) prefix[q + 1] = prefix[q] + closest[q] * keys[q];

        // Per positive: r_i negatives inside the margin, its weight and its expected hinge.
        double loss = 0;
        coefficients.Clear();
        for (int t = 0; t < positives.Length; t++)
        {
            double threshold = -scores[positives[t]] + _margin;
            int r = UpperBound(keys, threshold);
            double weight = r == 0 ? 0 : _useRankWeight ? Math.Log(1 + (double)items * r / negatives) : 1;
            double mass = 1 - Math.Pow((double)(negatives - r) / negatives, _negatives); // Π(r)
            weights[t] = weight;
            ranks[t] = r;
            loss += weight * (mass * threshold - prefix[r]);
            coefficients[positives[t]] = (float)(-weight * mass);
        }

        // c_q = π_q · Σ_{i: r_i > q} w_i (0-based q), by suffix sums over r.
        var accumulated = prefix; // reuse: weights by r, then running sums
        accumulated.Clear();
        for (int t = 0; t < positives.Length; t++)
            if (ranks[t] > 0) accumulated[(int)ranks[t]] += weights[t];
        double running = 0;
        for (int q = negatives - 1; q >= 0; q--)
        {
            running += accumulated[q + 1];
            coefficients[ids[q]] = (float)(closest[q] * running);
        }

        float scale = (float)(2.0 / positives.Length);
        var byCoordinate = _pointsByCoordinate.AsSpan();
        for (int k = 0; k < gradient.Length; k++)
            gradient[k] = scale * TensorPrimitives.Dot(byCoordinate.Slice(k * items, items), coefficients);
        return loss / positives.Length;
    }

    /// <summary>The number of sorted keys strictly below <paramref name="threshold"/>.</summary>
    private static int UpperBound(ReadOnlySpan<float> keys, double threshold)
    {
        int low = 0, high = keys.Length;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (keys[middle] < threshold) low = middle + 1;
            else high = middle;
        }
        return low;
    }
}
