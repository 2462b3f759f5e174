using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// The trainable part of FPMC: the user–item pair V^{U,I} (users × d), V^{I,U} (items × d), the
/// item–item pair V^{I,L} (next items × d), V^{L,I} (previous items × d) and an optional item bias.
/// <see cref="forward"/> returns the mean regularised S-BPR loss of a batch of
/// (user, previous item, next item, negative item) samples.
/// </summary>
internal sealed class FpmcNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly Embedding _users;
    private readonly Embedding _items;
    private readonly Embedding _next;
    private readonly Embedding _previous;
    private readonly Embedding? _itemBias;
    private readonly double _l2;
    private readonly ScalarCache _scalars = new();

    public FpmcNetwork(int users, int items, int factors, bool useItemBias, double l2)
        : base(nameof(FpmcNetwork))
    {
        _users = nn.Embedding(users, factors);
        _items = nn.Embedding(items, factors);
        _next = nn.Embedding(items, factors);
        _previous = nn.Embedding(items, factors);
        _itemBias = useItemBias ? nn.Embedding(items, 1) : null;
        _l2 = l2;
        RegisterComponents();
    }

    /// <summary>
    /// −mean ln σ(x_uli − x_ulj) + λ·mean(‖v_u‖² + ‖v_i‖² + ‖v_j‖² + ‖w_i‖² + ‖w_j‖² + ‖c_l‖² [+ b_i² + b_j²]) with
    /// x_uli = v_u^{U,I}·v_i^{I,U} + v_i^{I,L}·v_l^{L,I} [+ b_i].
    /// </summary>
    public override Tensor forward(Tensor users, Tensor previous, Tensor positives, Tensor negatives)
    {
        var u = _users.forward(users);
        var qi = _items.forward(positives);
        var qj = _items.forward(negatives);
        var wi = _next.forward(positives);
        var wj = _next.forward(negatives);
        var c = _previous.forward(previous);
        // Explicit scalars throughout (see ScalarCache).
        Scalar one = _scalars.One, minusOne = _scalars.MinusOne;
        var x = u.mul(qi.add(qj, minusOne)).sum(1).add(c.mul(wi.add(wj, minusOne)).sum(1), one);
        var penalty = SquaredNorm(u).add(SquaredNorm(qi), one).add(SquaredNorm(qj), one)
            .add(SquaredNorm(wi), one).add(SquaredNorm(wj), one).add(SquaredNorm(c), one);
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

    /// <summary>Sets the factor tables from row-major arrays (the seeded initialisation); biases start at zero.</summary>
    public void Initialize(float[] users, float[] items, float[] next, float[] previous)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _users.weight!.copy_(tensor(users).reshape(_users.weight!.shape));
        _items.weight!.copy_(tensor(items).reshape(_items.weight!.shape));
        _next.weight!.copy_(tensor(next).reshape(_next.weight!.shape));
        _previous.weight!.copy_(tensor(previous).reshape(_previous.weight!.shape));
        _itemBias?.weight!.zero_();
    }

    /// <summary>Copies the trained parameters out as row-major float arrays.</summary>
    public (float[] Users, float[] Items, float[] Next, float[] Previous, float[]? ItemBias) Export()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        static float[] Copy(Tensor t) => t.detach().contiguous().data<float>().ToArray();
        return (Copy(_users.weight!), Copy(_items.weight!), Copy(_next.weight!), Copy(_previous.weight!),
            _itemBias is null ? null : Copy(_itemBias.weight!));
    }
}
