using System.Numerics.Tensors;
using PoisonRange.Recommenders.Factorization;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// The d×d weighted ridge system that every alternating-least-squares step and every fold-in of
/// the factor models solves:
/// <code>
/// (g·G + Σ_j a_j·y_j y_jᵀ + λI) x = Σ_j t_j·y_j
/// </code>
/// where G = YᵀY is the Gram matrix of all vectors of the other side (g = 1 for WRMF's implicit
/// zeros, 0 for rating MF), j runs over a row's observed columns, a_j is the extra weight of an
/// observed cell and t_j its weighted target. Accumulates in double precision, lower triangle
/// only, and solves by Cholesky: O(n·d² / 2 + d³ / 6) for a row with n observed cells.
/// </summary>
internal static class RidgeSolver
{
    /// <summary>G = YᵀY (lower triangle and mirror, row-major d×d) of the row-major <paramref name="vectors"/> (count × d).</summary>
    public static double[] Gram(float[] vectors, int count, int d, int threads)
    {
        // Factor-major double copy so that each entry is one contiguous dot product.
        var byFactor = new double[(long)d * count];
        for (int j = 0; j < count; j++)
            for (int k = 0; k < d; k++)
                byFactor[(long)k * count + j] = vectors[(long)j * d + k];
        var gram = new double[d * d];
        Parallel.For(0, d, new ParallelOptions { MaxDegreeOfParallelism = threads }, r =>
        {
            var row = byFactor.AsSpan(r * count, count);
            for (int c = 0; c <= r; c++)
                gram[r * d + c] = TensorPrimitives.Dot<double>(row, byFactor.AsSpan(c * count, count));
        });
        for (int r = 0; r < d; r++)
            for (int c = r + 1; c < d; c++)
                gram[r * d + c] = gram[c * d + r];
        return gram;
    }

    /// <summary>
    /// Solves one row's system and writes x into <paramref name="solution"/>.
    /// <paramref name="work"/> needs d·d + 3·d doubles. Returns false when the system is not
    /// positive definite (only possible with λ = 0 and too few observations), leaving zeros.
    /// </summary>
    /// <param name="gram">G (d×d), or null when g = 0.</param>
    /// <param name="other">Row-major vectors of the other side (its count × d).</param>
    /// <param name="columns">The row's observed columns.</param>
    /// <param name="extraWeights">a_j per observed column, or empty to use <paramref name="extraWeight"/> for all.</param>
    /// <param name="targets">t_j per observed column, or empty to use <paramref name="target"/> for all.</param>
    public static bool Solve(double[]? gram, float[] other, int d, ReadOnlySpan<int> columns,
        double extraWeight, ReadOnlySpan<float> extraWeights, double target, ReadOnlySpan<float> targets,
        double lambda, Span<double> work, Span<float> solution)
    {
        var a = work[..(d * d)];
        var b = work.Slice(d * d, d);
        var y = work.Slice(d * d + d, d);
        var scaled = work.Slice(d * d + 2 * d, d);
        if (gram is null) a.Clear();
        else gram.AsSpan(0, d * d).CopyTo(a);
        b.Clear();

        for (int t = 0; t < columns.Length; t++)
        {
            var source = other.AsSpan(columns[t] * d, d);
            for (int k = 0; k < d; k++) y[k] = source[k];
            double weight = extraWeights.IsEmpty ? extraWeight : extraWeights[t];
            double goal = targets.IsEmpty ? target : targets[t];
            if (weight != 0)
            {
                TensorPrimitives.Multiply(y, weight, scaled);
                // Lower triangle: row r gets weight·y_r·y[0..r].
                for (int r = 0; r < d; r++)
                {
                    var row = a.Slice(r * d, r + 1);
                    TensorPrimitives.MultiplyAdd(y[..(r + 1)], scaled[r], row, row);
                }
            }
            if (goal != 0) TensorPrimitives.MultiplyAdd(y, goal, b, b);
        }
        for (int r = 0; r < d; r++) a[r * d + r] += lambda;

        if (!Cholesky.Solve(a, b, d))
        {
            solution.Clear();
            return false;
        }
        for (int k = 0; k < d; k++) solution[k] = (float)b[k];
        return true;
    }
}
