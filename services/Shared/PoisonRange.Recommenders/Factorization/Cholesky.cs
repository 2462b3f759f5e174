using System.Numerics.Tensors;

namespace PoisonRange.Recommenders.Factorization;

/// <summary>
/// The dense Cholesky solver of every ridge fit of the zoo (fold-in of a new user, ALS, the
/// auto-encoders' least-squares steps): a·x = b for a small symmetric positive definite a, in place
/// and in double precision.
/// </summary>
internal static class Cholesky
{
    /// <summary>
    /// In place: factors the symmetric positive definite matrix whose lower triangle is in
    /// <paramref name="a"/> (row-major n × n) as L·Lᵀ and overwrites <paramref name="b"/> with the
    /// solution of a·x = b. False when a pivot is not positive and finite.
    /// </summary>
    public static bool Solve(Span<double> a, Span<double> b, int n)
    {
        if (!Factor(a, n)) return false;
        Substitute(a, b, n);
        return true;
    }

    /// <summary>
    /// In place: overwrites the lower triangle of the SPD matrix a (n × n row-major, only the lower
    /// triangle is read) with L, a = L·Lᵀ. False when a pivot is not positive and finite.
    /// </summary>
    public static bool Factor(Span<double> a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            var rowJ = a.Slice(j * n, n);
            double pivot = rowJ[j] - TensorPrimitives.Dot<double>(rowJ[..j], rowJ[..j]);
            if (!(pivot > 0) || !double.IsFinite(pivot)) return false;
            double diagonal = Math.Sqrt(pivot);
            rowJ[j] = diagonal;
            double inverse = 1.0 / diagonal;
            for (int i = j + 1; i < n; i++)
            {
                var rowI = a.Slice(i * n, n);
                rowI[j] = (rowI[j] - TensorPrimitives.Dot<double>(rowI[..j], rowJ[..j])) * inverse;
            }
        }
        return true;
    }

    /// <summary>Overwrites b with the solution of L·Lᵀ x = b, L from <see cref="Factor"/>.</summary>
    public static void Substitute(ReadOnlySpan<double> factor, Span<double> b, int n)
    {
        // Forward: L z = b.
        for (int i = 0; i < n; i++)
        {
            var rowI = factor.Slice(i * n, n);
            b[i] = (b[i] - TensorPrimitives.Dot<double>(rowI[..i], b[..i])) / rowI[i];
        }
        // Backward: Lᵀ x = z.
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = b[i];
            for (int k = i + 1; k < n; k++) sum -= factor[k * n + i] * b[k];
            b[i] = sum / factor[i * n + i];
        }
    }
}
