using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// The trainable part of TransRec: item points γ (items × d), item biases β, the global
/// translation t and the users' offsets t_u (users × d). <see cref="BatchLoss"/> returns the mean
/// regularised S-BPR loss of a batch of (user, previous item, next item, negative item) samples;
/// <see cref="ProjectItems"/> keeps the points in the unit ball after every step.
/// </summary>
internal sealed class TransRecNetwork : PairwiseRankingNetwork
{
    private readonly Embedding _items;
    private readonly Embedding _itemBias;
    private readonly Embedding _userTranslations;
    private readonly Parameter _translation;
    private readonly bool _squared;

    public TransRecNetwork(int users, int items, int factors, bool squared, double l2)
        : base(nameof(TransRecNetwork), l2)
    {
        _items = nn.Embedding(items, factors);
        _itemBias = nn.Embedding(items, 1);
        _userTranslations = nn.Embedding(users, factors);
        _translation = nn.Parameter(zeros(factors));
        _squared = squared;
        RegisterComponents();
    }

    /// <summary>
    /// −mean ln σ(x_uli − x_ulj) + λ·mean(‖γ_l‖² + ‖γ_i‖² + ‖γ_j‖² + β_i² + β_j² + ‖t_u‖² + ‖t‖²) with
    /// x_uli = β_i − d(γ_l + t + t_u, γ_i).
    /// </summary>
    public override Tensor BatchLoss(PairwiseBatch batch)
    {
        var gl = _items.forward(batch.Previous!);
        var gi = _items.forward(batch.Positives);
        var gj = _items.forward(batch.Negatives);
        var tu = _userTranslations.forward(batch.Users);
        // Explicit scalars throughout (see ScalarCache).
        Scalar one = Scalars.One, minusOne = Scalars.MinusOne;
        var center = gl.add(tu, one).add(_translation, one);
        var bi = _itemBias.forward(batch.Positives).squeeze(1);
        var bj = _itemBias.forward(batch.Negatives).squeeze(1);
        var x = bi.add(Distance(center, gi), minusOne).add(bj, minusOne).add(Distance(center, gj), one);
        var penalty = SquaredNorm(gl).add(SquaredNorm(gi), one).add(SquaredNorm(gj), one)
            .add(SquaredNorm(bi), one).add(SquaredNorm(bj), one).add(SquaredNorm(tu), one);
        return RankingLoss(x, penalty).add(SquaredNorm(_translation), Scalars[L2]);
    }

    private Tensor Distance(Tensor a, Tensor b)
    {
        var difference = a.add(b, Scalars.MinusOne);
        var squared = difference.mul(difference).sum(1);
        // The small offset keeps the gradient of the square root finite at zero distance.
        return _squared ? squared : squared.add(Scalars[1e-10], Scalars.One).sqrt();
    }

    /// <summary>Keeps the item points in the unit ball (<see cref="ProjectItems"/>).</summary>
    public override void AfterStep() => ProjectItems();

    /// <summary>γ_i ← γ_i / max(1, ‖γ_i‖) for every item.</summary>
    public void ProjectItems()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var weight = _items.weight!;
        weight.copy_(weight.renorm(2, 0, 1));
    }

    /// <summary>Sets the item points from a row-major array (the seeded initialisation); translations and biases start at zero.</summary>
    public void Initialize(float[] items)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _items.weight!.copy_(tensor(items).reshape(_items.weight!.shape));
        _itemBias.weight!.zero_();
        _userTranslations.weight!.zero_();
        _translation.zero_();
    }

    /// <summary>Copies the trained parameters out as row-major float arrays.</summary>
    public (float[] Items, float[] ItemBias, float[] Translation, float[] UserTranslations) Export()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return (Copy(_items.weight!), Copy(_itemBias.weight!), Copy(_translation), Copy(_userTranslations.weight!));
    }
}
