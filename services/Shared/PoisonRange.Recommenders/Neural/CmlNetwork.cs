using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// The trainable part of CML: user and item points in R^d. <see cref="forward"/> returns the
/// batch's mean weighted hinge loss w_ui·[m + d(u, i)² − min_j d(u, j)²]₊ over (user, positive,
/// sampled negatives) plus the optional covariance regulariser; <see cref="ProjectToBall"/> keeps
/// every point in the unit ball after a step.
/// </summary>
internal sealed class CmlNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Embedding _users;
    private readonly Embedding _items;
    private readonly double _margin;
    private readonly bool _useRankWeight;
    private readonly double _covarianceWeight;
    private readonly int _itemCount;

    public CmlNetwork(int users, int items, int factors, double margin, bool useRankWeight, double covarianceWeight)
        : base(nameof(CmlNetwork))
    {
        _users = nn.Embedding(users, factors);
        _items = nn.Embedding(items, factors);
        _margin = margin;
        _useRankWeight = useRankWeight;
        _covarianceWeight = covarianceWeight;
        _itemCount = items;
        RegisterComponents();
    }

    /// <param name="users">batch user ids.</param>
    /// <param name="positives">batch positive item ids.</param>
    /// <param name="negatives">batch × U sampled negative item ids.</param>
    public override Tensor forward(Tensor users, Tensor positives, Tensor negatives)
    {
        // The hinge's gradient reaches only the closest sampled negative, so the U candidates are
        // ranked without autograd and only the closest one enters the graph (same loss and gradient,
        // a B × d graph instead of B × U × d).
        Tensor closest, weight;
        long sampled = negatives.shape[1];
        using (no_grad())
        {
            var u0 = _users.forward(users);
            var candidates = (u0.unsqueeze(1) - _items.forward(negatives)).square().sum(2);
            closest = negatives.gather(1, candidates.argmin(1, keepdim: true)).squeeze(1);
            if (_useRankWeight)
            {
                // Hsieh et al.: rank ≈ ⌊|I|·M/U⌋ with M of the U sampled negatives inside the margin; w = log(1 + rank).
                var positive0 = (u0 - _items.forward(positives)).square().sum(1);
                var impostors = (positive0.unsqueeze(1) + _margin - candidates).gt(0).to_type(ScalarType.Float32).sum(1);
                weight = (impostors * ((double)_itemCount / sampled)).floor().log1p();
            }
            else
            {
                weight = ones(users.shape[0]);
            }
        }
        var u = _users.forward(users);
        var v = _items.forward(positives);
        var positive = (u - v).square().sum(1);
        var negative = (u - _items.forward(closest)).square().sum(1);
        var hinge = (positive + _margin - negative).relu() * weight;
        var loss = hinge.mean();
        if (_covarianceWeight > 0)
        {
            var points = cat([u, v], 0);
            long count = points.shape[0];
            var centred = points - points.mean([0L], keepdim: true);
            var covariance = centred.t().matmul(centred) / count;
            loss = loss + (covariance.square().sum() - covariance.diagonal().square().sum()) * (_covarianceWeight / count);
        }
        return loss;
    }

    /// <summary>Hsieh et al.'s initialisation from the seeded generator: N(0, 1/d) per coordinate, then projected into the ball.</summary>
    public void Initialize(Internal.DeterministicRandom rng)
    {
        foreach (var table in new[] { _users, _items })
            NeuralTraining.Assign(table.weight!, NeuralTraining.Normal(rng, (int)table.weight!.numel(), 1 / Math.Sqrt(table.weight!.shape[1])));
        ProjectToBall();
    }

    /// <summary>Scales every point with norm above 1 back onto the unit sphere.</summary>
    public void ProjectToBall()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var table in new[] { _users, _items })
        {
            var weight = table.weight!;
            weight.div_(weight.square().sum(1, keepdim: true).sqrt().clamp_min(1.0));
        }
    }

    public (float[] Users, float[] Items) Export() => (NeuralTraining.Export(_users.weight!), NeuralTraining.Export(_items.weight!));
}
