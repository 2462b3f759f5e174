using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using PoisonRange.Recommenders.Sequential;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// The trainable part of WRMF+SGD: user and item embedding tables. <see cref="forward"/> returns
/// the exact WRMF objective restricted to a batch of users,
/// <code>
/// L_B = Σ_{u∈B} Σ_i c_ui (x_ui − p_u·q_i)² + λ(Σ_{u∈B} ‖p_u‖² + |B|/|U| · ‖Q‖²)
/// </code>
/// evaluated without the dense |B| × |I| matrix: Σ_i (p_u·q_i)² = p_uᵀ(QᵀQ)p_u over every item, and
/// the observed cells replace their s² by w(1 − s)². Summing L_B over the batches of an epoch
/// gives the full objective.
/// </summary>
internal sealed class WrmfSgdNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Embedding _users;
    private readonly Embedding _items;
    private readonly double _positiveWeight;
    private readonly double _l2;
    private readonly int _userCount;
    private readonly ScalarCache _scalars = new();

    public WrmfSgdNetwork(int users, int items, int factors, double positiveWeight, double l2)
        : base(nameof(WrmfSgdNetwork))
    {
        _users = nn.Embedding(users, factors);
        _items = nn.Embedding(items, factors);
        _positiveWeight = positiveWeight;
        _l2 = l2;
        _userCount = users;
        RegisterComponents();
    }

    /// <param name="batchUsers">The batch's user ids.</param>
    /// <param name="observedRows">Per observed cell of the batch, the row of its user in <paramref name="batchUsers"/>.</param>
    /// <param name="observedItems">Per observed cell, its item.</param>
    public override Tensor forward(Tensor batchUsers, Tensor observedRows, Tensor observedItems)
    {
        var p = _users.forward(batchUsers);
        var q = _items.weight!;
        var gram = q.t().mm(q);
        // Explicit scalars throughout (see ScalarCache).
        Scalar one = _scalars.One, minusOne = _scalars.MinusOne;
        var unobserved = p.mm(gram).mul(p).sum();
        var s = p.index_select(0, observedRows).mul(_items.forward(observedItems)).sum(1);
        var residual = s.neg().add(one, one);
        var observed = residual.mul(residual).mul(_scalars[_positiveWeight]).add(s.mul(s), minusOne).sum();
        long batch = batchUsers.shape[0];
        var penalty = p.mul(p).sum().add(q.mul(q).sum(), _scalars[(double)batch / _userCount]);
        return unobserved.add(observed, one).add(penalty, _scalars[_l2]);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _scalars.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Sets the embeddings from row-major arrays (the seeded initialisation).</summary>
    public void Initialize(float[] userFactors, float[] itemFactors)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _users.weight!.copy_(tensor(userFactors).reshape(_users.weight!.shape));
        _items.weight!.copy_(tensor(itemFactors).reshape(_items.weight!.shape));
    }

    /// <summary>Copies the trained parameters out as row-major float arrays.</summary>
    public (float[] Users, float[] Items) Export()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var users = _users.weight!.detach().contiguous().data<float>().ToArray();
        var items = _items.weight!.detach().contiguous().data<float>().ToArray();
        return (users, items);
    }
}
