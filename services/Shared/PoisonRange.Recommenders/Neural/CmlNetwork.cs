using PoisonRange.Data;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// The trainable part of CML: user and item points in R^d. <see cref="BatchLoss"/> returns the
/// batch's mean weighted hinge loss w_ui·[m + d(u, i)² − min_j d(u, j)²]₊ over (user, positive,
/// sampled negatives) plus the optional covariance regulariser; <see cref="ProjectToBall"/> keeps
/// every point in the unit ball after every step.
/// </summary>
internal sealed class CmlNetwork : PairwiseRankingNetwork
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

    /// <summary>The batch's loss; its negatives are batch × U sampled item ids.</summary>
    public override Tensor BatchLoss(PairwiseBatch batch)
    {
        Tensor users = batch.Users, positives = batch.Positives, negatives = batch.Negatives;
        // The hinge's gradient reaches only the closest sampled negative, so the U candidates are
        // ranked without autograd and only the closest one enters the graph (same loss and gradient,
        // a B × d graph instead of B × U × d).
        // Explicit scalars throughout (see ScalarCache).
        Scalar one = Scalars.One, minusOne = Scalars.MinusOne;
        Tensor closest, weight;
        long sampled = negatives.shape[1];
        using (no_grad())
        {
            var u0 = _users.forward(users);
            var candidates = Squared(u0.unsqueeze(1) - _items.forward(negatives)).sum(2);
            closest = negatives.gather(1, candidates.argmin(1, keepdim: true)).squeeze(1);
            if (_useRankWeight)
            {
                // Hsieh et al.: rank ≈ ⌊|I|·M/U⌋ with M of the U sampled negatives inside the margin; w = log(1 + rank).
                var positive0 = Squared(u0 - _items.forward(positives)).sum(1);
                var impostors = positive0.unsqueeze(1).add(Scalars[_margin], one).add(candidates, minusOne).gt(Scalars[0.0]).to_type(ScalarType.Float32).sum(1);
                weight = impostors.mul(Scalars[(double)_itemCount / sampled]).floor().log1p();
            }
            else
            {
                weight = ones(users.shape[0]);
            }
        }
        var u = _users.forward(users);
        var v = _items.forward(positives);
        var positive = Squared(u - v).sum(1);
        var negative = Squared(u - _items.forward(closest)).sum(1);
        var hinge = positive.add(Scalars[_margin], one).add(negative, minusOne).relu().mul(weight);
        var loss = hinge.mean();
        if (_covarianceWeight > 0)
        {
            var points = cat([u, v], 0);
            long count = points.shape[0];
            var centred = points - points.mean([0L], keepdim: true);
            var covariance = centred.t().matmul(centred).mul(Scalars[1.0 / count]);
            loss = loss.add(Squared(covariance).sum().add(Squared(covariance.diagonal()).sum(), minusOne), Scalars[_covarianceWeight / count]);
        }
        return loss;
    }

    /// <summary>Hsieh et al.'s initialisation from the seeded generator: N(0, 1/d) per coordinate, then projected into the ball.</summary>
    public void Initialize(SeededRandom rng)
    {
        foreach (var table in new[] { _users, _items })
            NeuralTraining.Assign(table.weight!, ImplicitFeedback.Normal(rng, (int)table.weight!.numel(), 1 / Math.Sqrt(table.weight!.shape[1])));
        ProjectToBall();
    }

    /// <summary>Keeps every point in the unit ball (<see cref="ProjectToBall"/>).</summary>
    public override void AfterStep() => ProjectToBall();

    /// <summary>Scales every point with norm above 1 back onto the unit sphere.</summary>
    public void ProjectToBall()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var table in new[] { _users, _items })
        {
            var weight = table.weight!;
            weight.div_(Squared(weight).sum(1, keepdim: true).sqrt().clamp_min(Scalars.One));
        }
    }

    private static Tensor Squared(Tensor t) => t.mul(t);

    public (float[] Users, float[] Items) Export() => (NeuralTraining.Export(_users.weight!), NeuralTraining.Export(_items.weight!));
}
