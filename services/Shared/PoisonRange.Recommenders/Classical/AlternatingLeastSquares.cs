using System.Numerics.Tensors;
using PoisonRange.Data;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// Exact alternating least squares for the two factor models trained in closed form (WRMF and
/// rating MF). One sweep solves every item row with the user vectors fixed, then every user row
/// with the item vectors fixed, so that the final user vectors are exactly the fold-in solution
/// for their training rows. Rows are independent and each is solved sequentially, so the result
/// does not depend on the thread count.
/// </summary>
internal static class AlternatingLeastSquares
{
    /// <summary>Settings of the objective: Σ_{(u,i)} a·(x_ui − s)²-style weights, see <see cref="RidgeSolver"/>.</summary>
    /// <param name="GramWeight">g: the weight of an unobserved cell (target 0), applied to every cell through the
    /// Gram term g·YᵀY (WRMF: 1; rating MF: its missing-cell weight α, 0 for observed ratings only).</param>
    /// <param name="ExtraWeight">a: the observed cells' weight beyond the Gram term (WRMF: w − 1; MF: 1 − α).</param>
    /// <param name="TargetScale">t_j = TargetScale × the cell value (WRMF: w × 1; MF: 1 × rating).</param>
    public readonly record struct Objective(double GramWeight, double ExtraWeight, double TargetScale, double Lambda);

    /// <summary>g·G for the objective's Gram weight g, or null when g = 0.</summary>
    private static double[]? WeightedGram(float[] vectors, int count, int d, double weight, int threads)
    {
        if (weight == 0) return null;
        var gram = RidgeSolver.Gram(vectors, count, d, threads);
        if (weight != 1) TensorPrimitives.Multiply(gram, weight, gram);
        return gram;
    }

    /// <summary>Gaussian initial vectors with standard deviation <paramref name="std"/>.</summary>
    public static float[] RandomFactors(SeededRandom rng, int count, int d, double std)
    {
        var values = new float[(long)count * d];
        for (int k = 0; k < values.Length; k++) values[k] = (float)(rng.NextGaussian() * std);
        return values;
    }

    /// <summary>Solves every row of one side; <paramref name="target"/> (rows × d) is overwritten.</summary>
    public static void SolveSide(int rows, int[] offsets, int[] columns, float[] values, float[] other, int otherCount, int d,
        Objective objective, float[] target, int threads, CancellationToken cancellationToken)
    {
        double[]? gram = WeightedGram(other, otherCount, d, objective.GramWeight, threads);
        bool constantTargets = IsConstant(values, out float constantValue);
        var targets = constantTargets ? null : new float[values.Length];
        if (targets is not null)
            for (int k = 0; k < values.Length; k++) targets[k] = (float)(objective.TargetScale * values[k]);

        var options = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        // Fixed contiguous blocks per worker: the split never affects the values.
        int blocks = Math.Max(1, Math.Min(rows, threads * 8));
        Parallel.For(0, blocks, options, () => new double[d * d + 3 * d], (block, state, work) =>
        {
            int from = (int)((long)rows * block / blocks), to = (int)((long)rows * (block + 1) / blocks);
            for (int r = from; r < to; r++)
            {
                if ((r & 63) == 0) cancellationToken.ThrowIfCancellationRequested();
                int start = offsets[r], length = offsets[r + 1] - start;
                var solution = target.AsSpan(r * d, d);
                if (length == 0 && gram is null)
                {
                    // No observations and no implicit zeros: the ridge solution is 0.
                    solution.Clear();
                    continue;
                }
                RidgeSolver.Solve(gram, other, d, columns.AsSpan(start, length),
                    objective.ExtraWeight, default,
                    objective.TargetScale * constantValue, targets is null ? default : targets.AsSpan(start, length),
                    objective.Lambda, work, solution);
            }
            return work;
        }, _ => { });
    }

    private static bool IsConstant(float[] values, out float value)
    {
        value = values.Length == 0 ? 1f : values[0];
        foreach (var v in values)
            if (v != value) return false;
        return true;
    }

    /// <summary>
    /// The full objective Σ_{u,i} c_ui (x_ui − p_u·q_i)² + λ(‖P‖² + ‖Q‖²) for WRMF-style weights
    /// (c = g = <see cref="Objective.GramWeight"/> on unobserved cells, which do not count when
    /// g = 0) with observed weight c = g + ExtraWeight and target x = TargetScale·value / c,
    /// evaluated in O(nnz·d + users·d²) through Σ_u p_uᵀ(g·QᵀQ)p_u.
    /// </summary>
    public static double Loss(InteractionMatrix matrix, float[] userFactors, float[] itemFactors, int d, Objective objective, int threads)
    {
        double[]? gram = WeightedGram(itemFactors, matrix.Items, d, objective.GramWeight, threads);
        double observedWeight = objective.GramWeight + objective.ExtraWeight;
        var perUser = new double[matrix.Users];
        Parallel.For(0, matrix.Users, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new double[d], (u, _, buffer) =>
        {
            var p = userFactors.AsSpan(u * d, d);
            double sum = 0;
            if (gram is not null)
            {
                for (int r = 0; r < d; r++)
                {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += gram[r * d + c] * p[c];
                    buffer[r] = dot;
                }
                for (int r = 0; r < d; r++) sum += buffer[r] * p[r];
            }
            var items = matrix.ItemsOf(u);
            var values = matrix.ValuesOfUser(u);
            for (int t = 0; t < items.Length; t++)
            {
                double s = TensorPrimitives.Dot<float>(p, itemFactors.AsSpan(items[t] * d, d));
                double x = objective.TargetScale * values[t] / observedWeight;
                // Replace the unobserved-cell term g·s² (already in the Gram part) by the observed one.
                sum += observedWeight * (x - s) * (x - s) - objective.GramWeight * s * s;
            }
            sum += objective.Lambda * TensorPrimitives.Dot<float>(p, p);
            perUser[u] = sum;
            return buffer;
        }, _ => { });
        double total = 0;
        foreach (var v in perUser) total += v;
        total += objective.Lambda * TensorPrimitives.Dot<float>(itemFactors, itemFactors);
        return total;
    }
}
