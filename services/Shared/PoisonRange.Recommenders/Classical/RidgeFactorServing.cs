using System.Buffers;
using System.Numerics.Tensors;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// The fold-in rule of a least-squares factor model: an unseen history H (distinct items) gets
/// the user vector that minimises the model's own training objective with the item vectors
/// fixed, i.e. the solution of
/// <code>
/// (g·YᵀY + a·Σ_{i∈H} y_i y_iᵀ + λI) x = Σ_{i∈H} t_i·y_i
/// </code>
/// (see <see cref="RidgeSolver"/>) with t_i = <see cref="Target"/>, or the item's entry of the
/// serving model's per-item targets when it has them. WRMF: g = 1, a = w − 1, t = w; rating MF:
/// g = 0, a = 1, t_i = the rating assumed for history item i.
/// </summary>
internal readonly record struct RidgeFoldIn(double GramWeight, double ExtraWeight, double Target, double Lambda);

/// <summary>
/// The immutable serving form of a latent-factor model scored by s(u, j) = x_u · y_j (no biases):
/// plain arrays, a factor-major copy of the item vectors for SIMD scoring over the whole
/// catalogue, and the ridge fold-in of <see cref="RidgeFoldIn"/> with the item Gram matrix
/// precomputed. Thread-safe and allocation-free apart from pooled buffers.
/// </summary>
internal sealed class RidgeFactorServing
{
    public RidgeFactorServing(int users, int items, int factors, float[] userFactors, float[] itemFactors, float[] popularity, RidgeFoldIn foldIn,
        float[]? itemTargets = null)
    {
        if (itemTargets is not null && itemTargets.Length != items) throw new ArgumentException("Item targets do not match the dimensions.", nameof(itemTargets));
        if (userFactors.Length != (long)users * factors) throw new ArgumentException("User factors do not match the dimensions.", nameof(userFactors));
        if (itemFactors.Length != (long)items * factors) throw new ArgumentException("Item factors do not match the dimensions.", nameof(itemFactors));
        if (popularity.Length != items) throw new ArgumentException("Popularity does not match the dimensions.", nameof(popularity));
        Users = users;
        Items = items;
        Factors = factors;
        UserFactors = userFactors;
        ItemFactors = itemFactors;
        Popularity = popularity;
        FoldInRule = foldIn;
        ItemTargets = itemTargets;
        _itemFactorsByFactor = new float[itemFactors.Length];
        for (int j = 0; j < items; j++)
            for (int k = 0; k < factors; k++)
                _itemFactorsByFactor[(long)k * items + j] = itemFactors[(long)j * factors + k];
        _gram = foldIn.GramWeight == 0 ? null : ScaledGram(itemFactors, items, factors, foldIn.GramWeight);
    }

    public int Users { get; }
    public int Items { get; }
    public int Factors { get; }

    /// <summary>Users × d, row-major.</summary>
    public float[] UserFactors { get; }

    /// <summary>Items × d, row-major.</summary>
    public float[] ItemFactors { get; }

    /// <summary>Training interactions per item: the ranking of an empty history.</summary>
    public float[] Popularity { get; }

    public RidgeFoldIn FoldInRule { get; }

    /// <summary>Per item, the target t_i a folded-in history assumes for it; null: <see cref="RidgeFoldIn.Target"/> for all.</summary>
    public float[]? ItemTargets { get; }

    private readonly float[] _itemFactorsByFactor;
    private readonly double[]? _gram;

    private static double[] ScaledGram(float[] itemFactors, int items, int d, double weight)
    {
        var gram = RidgeSolver.Gram(itemFactors, items, d, threads: 1);
        if (weight != 1) TensorPrimitives.Multiply(gram, weight, gram);
        return gram;
    }

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
        var distinct = InteractionMatrix.DistinctItems(history, Items);
        if (distinct.Length == 0)
        {
            Popularity.CopyTo(scores);
            return;
        }
        float[] vector = ArrayPool<float>.Shared.Rent(Factors);
        try
        {
            var x = vector.AsSpan(0, Factors);
            if (FoldInDistinct(distinct, x)) ScoreVector(x, scores);
            else Popularity.CopyTo(scores);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(vector);
        }
    }

    /// <summary>scores = Yx as d multiply-adds over contiguous rows of the factor-major item matrix.</summary>
    public void ScoreVector(ReadOnlySpan<float> userVector, Span<float> scores)
    {
        int items = Items;
        scores.Clear();
        var byFactor = _itemFactorsByFactor.AsSpan();
        for (int k = 0; k < userVector.Length; k++)
            TensorPrimitives.MultiplyAdd(byFactor.Slice(k * items, items), userVector[k], scores, scores);
    }

    /// <summary>The folded-in vector of a history (order and repeats ignored); false and zeros for an empty one.</summary>
    public bool FoldIn(ReadOnlySpan<int> history, Span<float> userVector)
    {
        if (userVector.Length != Factors)
            throw new ArgumentException($"The vector has {userVector.Length} entries; the model has {Factors} factors.", nameof(userVector));
        var distinct = InteractionMatrix.DistinctItems(history, Items);
        if (distinct.Length > 0 && FoldInDistinct(distinct, userVector)) return true;
        userVector.Clear();
        return false;
    }

    private bool FoldInDistinct(int[] distinct, Span<float> userVector)
    {
        int d = Factors;
        double[] work = ArrayPool<double>.Shared.Rent(d * d + 3 * d);
        float[]? targets = ItemTargets is null ? null : ArrayPool<float>.Shared.Rent(distinct.Length);
        try
        {
            var rule = FoldInRule;
            if (targets is not null)
                for (int t = 0; t < distinct.Length; t++) targets[t] = ItemTargets![distinct[t]];
            return RidgeSolver.Solve(_gram, ItemFactors, d, distinct, rule.ExtraWeight, default,
                rule.Target, targets is null ? default : targets.AsSpan(0, distinct.Length), rule.Lambda,
                work.AsSpan(0, d * d + 3 * d), userVector);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(work);
            if (targets is not null) ArrayPool<float>.Shared.Return(targets);
        }
    }

    private void CheckScores(Span<float> scores)
    {
        if (scores.Length != Items)
            throw new ArgumentException($"The score buffer has {scores.Length} entries; the model scores {Items} items.", nameof(scores));
    }
}
