using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using PoisonRange.Recommenders.Sequential;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Factorization;

/// <summary>
/// The trainable part of BPR-MF: user and item embedding tables and an optional item bias.
/// <see cref="forward"/> returns the mean regularised BPR loss of a batch of
/// (user, positive item, negative item) triples.
/// </summary>
internal sealed class BprMfNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Embedding _users;
    private readonly Embedding _items;
    private readonly Embedding? _itemBias;
    private readonly double _l2;
    private readonly ScalarCache _scalars = new();

    public BprMfNetwork(int users, int items, int factors, bool useItemBias, double l2)
        : base(nameof(BprMfNetwork))
    {
        _users = nn.Embedding(users, factors);
        _items = nn.Embedding(items, factors);
        _itemBias = useItemBias ? nn.Embedding(items, 1) : null;
        _l2 = l2;
        RegisterComponents();
    }

    /// <summary>
    /// −mean ln σ(x_uij) + λ·mean(‖p_u‖² + ‖q_i‖² + ‖q_j‖² + b_i² + b_j²), with
    /// x_uij = p_u·(q_i − q_j) + b_i − b_j.
    /// </summary>
    public override Tensor forward(Tensor users, Tensor positives, Tensor negatives)
    {
        // Explicit scalars throughout (see ScalarCache).
        Scalar one = _scalars.One, minusOne = _scalars.MinusOne;
        var p = _users.forward(users);
        var qi = _items.forward(positives);
        var qj = _items.forward(negatives);
        var x = p.mul(qi.add(qj, minusOne)).sum(1);
        var penalty = SquaredNorm(p).add(SquaredNorm(qi), one).add(SquaredNorm(qj), one);
        if (_itemBias is not null)
        {
            var bi = _itemBias.forward(positives).squeeze(1);
            var bj = _itemBias.forward(negatives).squeeze(1);
            x = x.add(bi, one).add(bj, minusOne);
            penalty = penalty.add(SquaredNorm(bi), one).add(SquaredNorm(bj), one);
        }
        long batch = users.shape[0];
        return nn.functional.logsigmoid(x).mean().neg().add(penalty, _scalars[_l2 / batch]);
    }

    private static Tensor SquaredNorm(Tensor t) => t.mul(t).sum();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _scalars.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Sets the embeddings from row-major arrays (the seeded initialisation); biases start at zero.</summary>
    public void Initialize(float[] userFactors, float[] itemFactors)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _users.weight!.copy_(tensor(userFactors).reshape(_users.weight!.shape));
        _items.weight!.copy_(tensor(itemFactors).reshape(_items.weight!.shape));
        _itemBias?.weight!.zero_();
    }

    /// <summary>Copies the trained parameters out as row-major float arrays.</summary>
    public (float[] Users, float[] Items, float[]? ItemBias) Export()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var users = _users.weight!.detach().contiguous().data<float>().ToArray();
        var items = _items.weight!.detach().contiguous().data<float>().ToArray();
        var bias = _itemBias?.weight!.detach().contiguous().data<float>().ToArray();
        return (users, items, bias);
    }
}
