using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Factorization;

/// <summary>
/// The trainable part of BPR-MF: user and item embedding tables and an optional item bias.
/// <see cref="BatchLoss"/> returns the mean regularised BPR loss of a batch of
/// (user, positive item, negative item) triples.
/// </summary>
internal sealed class BprMfNetwork : PairwiseRankingNetwork
{
    private readonly Embedding _users;
    private readonly Embedding _items;
    private readonly Embedding? _itemBias;

    public BprMfNetwork(int users, int items, int factors, bool useItemBias, double l2)
        : base(nameof(BprMfNetwork), l2)
    {
        _users = nn.Embedding(users, factors);
        _items = nn.Embedding(items, factors);
        _itemBias = useItemBias ? nn.Embedding(items, 1) : null;
        RegisterComponents();
    }

    /// <summary>
    /// −mean ln σ(x_uij) + λ·mean(‖p_u‖² + ‖q_i‖² + ‖q_j‖² + b_i² + b_j²), with
    /// x_uij = p_u·(q_i − q_j) + b_i − b_j.
    /// </summary>
    public override Tensor BatchLoss(PairwiseBatch batch)
    {
        // Explicit scalars throughout (see ScalarCache).
        Scalar one = Scalars.One, minusOne = Scalars.MinusOne;
        var p = _users.forward(batch.Users);
        var qi = _items.forward(batch.Positives);
        var qj = _items.forward(batch.Negatives);
        var x = p.mul(qi.add(qj, minusOne)).sum(1);
        var penalty = SquaredNorm(p).add(SquaredNorm(qi), one).add(SquaredNorm(qj), one);
        AddItemBias(_itemBias, batch, ref x, ref penalty);
        return RankingLoss(x, penalty);
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
        return (Copy(_users.weight!), Copy(_items.weight!), _itemBias is null ? null : Copy(_itemBias.weight!));
    }
}
