using System.Numerics.Tensors;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// The small dense algebra of the sequential models' fold-ins: accumulating the normal equations
/// of a ridge least-squares fit and solving them by Cholesky, in double precision.
/// </summary>
internal static class RidgeFoldIn
{
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
        return CholeskySolve(a, rhs, d);
    }

    /// <summary>In place: factors the SPD matrix a (row-major) as L·Lᵀ and overwrites b with the solution.</summary>
    public static bool CholeskySolve(Span<double> a, Span<double> b, int n)
    {
        for (int j = 0; j < n; j++)
        {
            var rowJ = a.Slice(j * n, n);
            double pivot = rowJ[j] - TensorPrimitives.Dot<double>(rowJ[..j], rowJ[..j]);
            if (!(pivot > 0)) return false;
            double diagonal = Math.Sqrt(pivot);
            rowJ[j] = diagonal;
            double inverse = 1.0 / diagonal;
            for (int i = j + 1; i < n; i++)
            {
                var rowI = a.Slice(i * n, n);
                rowI[j] = (rowI[j] - TensorPrimitives.Dot<double>(rowI[..j], rowJ[..j])) * inverse;
            }
        }
        // L y = b
        for (int i = 0; i < n; i++)
        {
            var rowI = a.Slice(i * n, n);
            b[i] = (b[i] - TensorPrimitives.Dot<double>(rowI[..i], b[..i])) / rowI[i];
        }
        // Lᵀ x = y
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = b[i];
            for (int k = i + 1; k < n; k++) sum -= a[k * n + i] * b[k];
            b[i] = sum / a[i * n + i];
        }
        return true;
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
