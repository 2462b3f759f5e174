using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// The trainable part of TransRec: item points γ (items × d), item biases β, the global
/// translation t and the users' offsets t_u (users × d). <see cref="forward"/> returns the mean
/// regularised S-BPR loss of a batch of (user, previous item, next item, negative item) samples;
/// <see cref="ProjectItems"/> keeps the points in the unit ball after every step.
/// </summary>
internal sealed class TransRecNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly Embedding _items;
    private readonly Embedding _itemBias;
    private readonly Embedding _userTranslations;
    private readonly Parameter _translation;
    private readonly bool _squared;
    private readonly double _l2;
    private readonly ScalarCache _scalars = new();

    public TransRecNetwork(int users, int items, int factors, bool squared, double l2)
        : base(nameof(TransRecNetwork))
    {
        _items = nn.Embedding(items, factors);
        _itemBias = nn.Embedding(items, 1);
        _userTranslations = nn.Embedding(users, factors);
        _translation = nn.Parameter(zeros(factors));
        _squared = squared;
        _l2 = l2;
        RegisterComponents();
    }

    /// <summary>
    /// −mean ln σ(x_uli − x_ulj) + λ·mean(‖γ_l‖² + ‖γ_i‖² + ‖γ_j‖² + β_i² + β_j² + ‖t_u‖² + ‖t‖²) with
    /// x_uli = β_i − d(γ_l + t + t_u, γ_i).
    /// </summary>
    public override Tensor forward(Tensor users, Tensor previous, Tensor positives, Tensor negatives)
    {
        var gl = _items.forward(previous);
        var gi = _items.forward(positives);
        var gj = _items.forward(negatives);
        var tu = _userTranslations.forward(users);
        // Explicit scalars throughout (see ScalarCache).
        Scalar one = _scalars.One, minusOne = _scalars.MinusOne;
        var center = gl.add(tu, one).add(_translation, one);
        var bi = _itemBias.forward(positives).squeeze(1);
        var bj = _itemBias.forward(negatives).squeeze(1);
        var x = bi.add(Distance(center, gi), minusOne).add(bj, minusOne).add(Distance(center, gj), one);
        var penalty = SquaredNorm(gl).add(SquaredNorm(gi), one).add(SquaredNorm(gj), one)
            .add(SquaredNorm(bi), one).add(SquaredNorm(bj), one).add(SquaredNorm(tu), one);
        long batch = users.shape[0];
        return nn.functional.logsigmoid(x).mean().neg()
            .add(penalty, _scalars[_l2 / batch])
            .add(SquaredNorm(_translation), _scalars[_l2]);
    }

    private Tensor Distance(Tensor a, Tensor b)
    {
        var difference = a.add(b, _scalars.MinusOne);
        var squared = difference.mul(difference).sum(1);
        // The small offset keeps the gradient of the square root finite at zero distance.
        return _squared ? squared : squared.add(_scalars[1e-10], _scalars.One).sqrt();
    }

    private static Tensor SquaredNorm(Tensor t) => t.mul(t).sum();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _scalars.Dispose();
        base.Dispose(disposing);
    }

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
        static float[] Copy(Tensor t) => t.detach().contiguous().data<float>().ToArray();
        return (Copy(_items.weight!), Copy(_itemBias.weight!), Copy(_translation), Copy(_userTranslations.weight!));
    }
}
