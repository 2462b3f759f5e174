using PoisonRange.Data;
using PoisonRange.Estimator;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Influence;
using PoisonRange.Recommenders.Sequential;
using TorchSharp;
using static TorchSharp.torch;

namespace PoisonRange.Estimator.Tests;

/// <summary>Tiny models whose dense Hessian can be built and inverted exactly.</summary>
internal static class TinyModels
{
    public static InteractionDataset Data(int users = 16, int items = 12, ulong seed = 7) => SyntheticGenerator.Generate(new SyntheticOptions
    {
        Users = users,
        Items = items,
        Rank = 2,
        MeanLength = 5,
        MinLength = 3,
        MaxLength = 8,
        Seed = seed,
    });

    public static BprMf Bpr(InteractionDataset train, ulong seed = 1)
    {
        var model = new BprMf(new BprMfOptions { Factors = 2, Epochs = 60, LearningRate = 0.05, L2 = 0.01, BatchSize = 16, Seed = seed });
        model.Fit(train);
        return model;
    }

    public static Gru4Rec Gru(InteractionDataset train, ulong seed = 1)
    {
        var model = new Gru4Rec(new Gru4RecOptions { EmbeddingSize = 3, HiddenSize = 2, MaxLength = 4, Epochs = 20, BatchSize = 4, Dropout = 0, L2 = 0.001, Seed = seed });
        model.Fit(train);
        return model;
    }

    /// <summary>
    /// A tiny FPMC (116 parameters). Its λ is strong so that the view's fixed-negative objective has
    /// its minimum near the trained parameters, where influence functions linearise it.
    /// </summary>
    public static Fpmc Fpmc(InteractionDataset train, ulong seed = 1, bool useItemBias = true)
    {
        var model = new Fpmc(new FpmcOptions { Factors = 2, Epochs = 60, LearningRate = 0.05, L2 = 0.1, BatchSize = 16, UseItemBias = useItemBias, Seed = seed });
        model.Fit(train);
        return model;
    }

    /// <summary>A tiny TransRec (70 parameters), with a strong λ for the same reason as <see cref="Fpmc"/>.</summary>
    public static TransRec TransRec(InteractionDataset train, ulong seed = 1, TransRecDistance distance = TransRecDistance.SquaredL2)
    {
        var model = new TransRec(new TransRecOptions { Factors = 2, Epochs = 60, LearningRate = 0.05, L2 = 0.1, BatchSize = 16, Distance = distance, Seed = seed });
        model.Fit(train);
        return model;
    }

    /// <summary>The dense Hessian of the full objective, column by column from double-backward products.</summary>
    public static double[,] DenseHessian(IInfluenceModel view)
    {
        int n = (int)view.ParameterCount;
        var units = Enumerable.Range(0, view.TrainingUnitCount).ToArray();
        var hessian = new double[n, n];
        for (int column = 0; column < n; column++)
        {
            using var scope = NewDisposeScope();
            var basis = new double[n];
            basis[column] = 1;
            var vector = Split(view, basis);
            var product = Flatten(Lissa.HessianVectorProducts(view, units, 1.0, [vector])[0]);
            for (int row = 0; row < n; row++) hessian[row, column] = product[row];
        }
        return hessian;
    }

    public static Tensor[] Split(IInfluenceModel view, double[] flat)
    {
        var parts = new Tensor[view.Parameters.Count];
        int offset = 0;
        for (int p = 0; p < parts.Length; p++)
        {
            int size = (int)view.Parameters[p].numel();
            parts[p] = tensor(flat.AsSpan(offset, size).ToArray(), view.Parameters[p].shape, float64);
            offset += size;
        }
        return parts;
    }

    public static double[] Flatten(IEnumerable<Tensor> parts) => parts.SelectMany(p => p.contiguous().data<double>().ToArray()).ToArray();

    /// <summary>Eigenvalues of a symmetric matrix (ascending).</summary>
    public static double[] Eigenvalues(double[,] matrix)
    {
        using var scope = NewDisposeScope();
        using var half = 0.5.ToScalar();
        var t = tensor(matrix, float64);
        var symmetric = t.add(t.t()).mul(half);
        return linalg.eigvalsh(symmetric).data<double>().ToArray();
    }

    /// <summary>x = (A + λI)⁻¹ b, exactly (LU in libtorch, float64).</summary>
    public static double[] Solve(double[,] matrix, double damping, double[] rhs)
    {
        using var scope = NewDisposeScope();
        int n = rhs.Length;
        using var lambda = damping.ToScalar();
        var a = tensor(matrix, float64).add(eye(n, dtype: float64).mul(lambda));
        var x = linalg.solve(a, tensor(rhs, float64).unsqueeze(1));
        return x.squeeze(1).data<double>().ToArray();
    }

    public static double RelativeError(double[] actual, double[] expected)
    {
        double diff = 0, norm = 0;
        for (int k = 0; k < actual.Length; k++)
        {
            diff += (actual[k] - expected[k]) * (actual[k] - expected[k]);
            norm += expected[k] * expected[k];
        }
        return Math.Sqrt(diff / norm);
    }

    public static double Spearman(double[] a, double[] b) => Pearson(Ranks(a), Ranks(b));

    public static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int k = 0; k < a.Length; k++)
        {
            sab += (a[k] - ma) * (b[k] - mb);
            saa += (a[k] - ma) * (a[k] - ma);
            sbb += (b[k] - mb) * (b[k] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }

    private static double[] Ranks(double[] values)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(k => values[k]).ToArray();
        var ranks = new double[values.Length];
        for (int r = 0; r < order.Length; r++) ranks[order[r]] = r;
        return ranks;
    }
}
