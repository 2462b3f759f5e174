using System.Buffers;
using System.Numerics.Tensors;
using PoisonRange.Recommenders.Factorization;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// The small dense algebra of the factor models' fold-ins: accumulating the normal equations
/// of a ridge least-squares fit and solving them by Cholesky, in double precision.
/// </summary>
internal static class RidgeFoldIn
{
    /// <summary>
    /// Copies the distinct items of <paramref name="history"/>, sorted, into a rented array; returns
    /// the array (return it to <see cref="ArrayPool{T}.Shared"/>) and the number of distinct items.
    /// </summary>
    public static int[] RentDistinct(ReadOnlySpan<int> history, out int count)
    {
        var rented = ArrayPool<int>.Shared.Rent(Math.Max(1, history.Length));
        history.CopyTo(rented);
        var items = rented.AsSpan(0, history.Length);
        items.Sort();
        int h = 0;
        for (int t = 0; t < items.Length; t++)
            if (t == 0 || items[t] != items[t - 1]) items[h++] = items[t];
        count = h;
        return rented;
    }

    /// <summary>a += r rᵀ (row-major d × d), rhs += y r.</summary>
    public static void Accumulate(Span<double> a, Span<double> rhs, ReadOnlySpan<double> r, double y)
    {
        int d = r.Length;
        for (int row = 0; row < d; row++)
        {
            var destination = a.Slice(row * d, d);
            TensorPrimitives.MultiplyAdd(r, r[row], destination, destination);
        }
        TensorPrimitives.MultiplyAdd(r, y, rhs, rhs);
    }

    /// <summary>Solves (a / count + ridge·I) x = rhs / count in place (x overwrites rhs); false when the system is not positive definite.</summary>
    public static bool Solve(Span<double> a, Span<double> rhs, int count, double ridge)
    {
        int d = rhs.Length;
        TensorPrimitives.Multiply(a, 1.0 / count, a);
        TensorPrimitives.Multiply(rhs, 1.0 / count, rhs);
        for (int row = 0; row < d; row++) a[row * d + row] += ridge;
        return Cholesky.Solve(a, rhs, d);
    }

    /// <summary>The mean eigenvalue of the covariance of the rows of a row-major matrix (its trace over d), 1 when degenerate.</summary>
    public static double MeanEigenvalue(float[] rows, int count, int d)
    {
        if (count == 0 || d == 0) return 1;
        var sum = new double[d];
        double squares = 0;
        var row = new double[d];
        for (int j = 0; j < count; j++)
        {
            Row(rows, j, row);
            TensorPrimitives.Add(sum, row, sum);
            squares += TensorPrimitives.Dot<double>(row, row);
        }
        double value = (squares - TensorPrimitives.Dot<double>(sum, sum) / count) / count / d;
        return value > 1e-12 ? value : 1;
    }

    /// <summary>The column sums of a row-major matrix.</summary>
    public static double[] ColumnSums(float[] rows, int count, int d)
    {
        var sum = new double[d];
        var row = new double[d];
        for (int j = 0; j < count; j++)
        {
            Row(rows, j, row);
            TensorPrimitives.Add(sum, row, sum);
        }
        return sum;
    }

    /// <summary>Copies row <paramref name="row"/> of a row-major matrix with <c>destination.Length</c> columns into doubles.</summary>
    public static void Row(float[] matrix, int row, Span<double> destination)
    {
        var source = matrix.AsSpan(row * destination.Length, destination.Length);
        for (int k = 0; k < source.Length; k++) destination[k] = source[k];
    }

    /// <summary>A factor-major (d × count) copy of a row-major (count × d) matrix, for SIMD scoring over the catalogue.</summary>
    public static float[] FactorMajor(float[] rows, int count, int d)
    {
        var byFactor = new float[rows.Length];
        for (int j = 0; j < count; j++)
            for (int k = 0; k < d; k++)
                byFactor[(long)k * count + j] = rows[(long)j * d + k];
        return byFactor;
    }
}
