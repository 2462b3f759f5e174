using PoisonRange.Data;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Influence;

/// <summary>
/// The differentiable view of a trained or loaded <see cref="TransRec"/>: θ = (item points Γ, item
/// biases β, global translation t, user offsets T_u) as float64 tensors rebuilt from the serving
/// arrays, and S-BPR's per-transition loss
/// ℓ(u, l → i, j) = −ln σ(x(u,l,i) − x(u,l,j)) + λ(‖γ_l‖² + ‖γ_i‖² + ‖γ_j‖² + β_i² + β_j² + ‖t_u‖² + ‖t‖²)
/// with x(u,l,j) = β_j − d(γ_l + t + t_u, γ_j), d the squared L2 distance or the L2 distance
/// √(‖·‖² + 10⁻¹⁰), exactly as <see cref="TransRec.Fit"/> computes it.
/// </summary>
/// <remarks>
/// <para><b>Units.</b> One unit is one training transition (user, previous item → next item) of
/// the transitions Fit trains on: users whose sequence covers the catalogue have none.</para>
/// <para><b>Regularisation.</b> Fit adds λ/batch times the batch's sum of the norms of the
/// parameters each sample touches, and λ‖t‖² once per batch. Over an epoch of full batches the
/// summed objective is therefore Σ_z (S-BPR loss + λ·norms) + N·λ‖t‖², so every transition
/// carries one λ‖t‖² (and a new account's transitions add theirs). Fit's last, shorter batch
/// weights its samples by 1/length instead of 1/batch, which the summed objective ignores.</para>
/// <para><b>Differences from Fit, stated.</b> Fit draws a fresh negative for every transition each
/// epoch, so its objective is an expectation; here every transition has
/// <see cref="NegativesPerTransition"/> negatives drawn once from a generator seeded by
/// (seed, user, position) and its loss averages them (see <see cref="TransitionUnits"/>). Fit
/// projects every item point back into the unit ball after each step; the view has no constraint,
/// so for points on the sphere at θ̂ it sees the unconstrained curvature, and a refit of the view
/// may move points outside the ball. The optimizer (Adam or SGD) does not change the objective.</para>
/// <para><b>Scores.</b> A known user u' with last training item l scores v as
/// β_v − d(γ_l + t + t_{u'}, γ_v), as the serving model does. With the L2 distance the view keeps
/// Fit's 10⁻¹⁰ under the root, so its gradient stays finite; the score then differs from the
/// served one by less than 10⁻¹⁰/(2√s) at a squared distance s, and by at most 10⁻⁵ at s = 0. A
/// user without training history is served by popularity, which no parameter moves.</para>
/// <para><b>New accounts.</b> A fake profile is a new user whose offset t_f is not in θ. For
/// influence it is fixed at the serving model's fold-in of the profile (the ridge fit for the
/// squared distance, zero for the L2 distance: what the platform would serve before retraining);
/// a refit (<see cref="InfluenceRefit"/>) trains it jointly from there. Its samples are its
/// transitions, each against negatives seeded by (seed, position, previous item, next item) from
/// the items outside the profile.</para>
/// </remarks>
public sealed class TransRecInfluence : IInfluenceModel
{
    private const double RootOffset = 1e-10;

    private readonly TransRecServingModel _serving;
    private readonly Parameter _points;
    private readonly Parameter _bias;
    private readonly Parameter _translation;
    private readonly Parameter _userTranslations;
    private readonly Tensor[] _parameters;
    private readonly bool _squared;
    private readonly double _l2;
    private readonly TransitionUnits _units;
    private readonly ScalarCache _scalars = new();

    /// <param name="model">A fitted or loaded TransRec.</param>
    /// <param name="train">The training set the model was fitted on (its transitions are the units).</param>
    /// <param name="seed">Fixes the negatives of every transition.</param>
    /// <param name="negativesPerTransition">Fixed negatives per transition (1..64).</param>
    public TransRecInfluence(TransRec model, InteractionDataset train, ulong seed = 0, int negativesPerTransition = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        _serving = model.ServingModel;
        SequentialInfluence.CheckTrainingSet(train, _serving.Users, _serving.Items, _serving.LastItem, _serving.Popularity);
        _squared = _serving.Distance == TransRecDistance.SquaredL2;
        _l2 = model.Options.L2;
        _units = new TransitionUnits(train, seed, negativesPerTransition);
        int users = _serving.Users, items = _serving.Items, d = _serving.Factors;

        _points = new Parameter(SequentialInfluence.ToTensor(_serving.ItemPoints, items, d));
        _bias = new Parameter(SequentialInfluence.ToTensor(_serving.ItemBias));
        _translation = new Parameter(SequentialInfluence.ToTensor(_serving.Translation));
        _userTranslations = new Parameter(SequentialInfluence.ToTensor(_serving.UserTranslations, users, d));
        _parameters = [_points, _bias, _translation, _userTranslations];
        ParameterCount = _parameters.Sum(p => p.numel());
    }

    public string Kind => TransRec.KindName;

    /// <summary>Fixed negatives per transition.</summary>
    public int NegativesPerTransition => _units.NegativesPerTransition;

    public IReadOnlyList<Tensor> Parameters => _parameters;
    public long ParameterCount { get; }
    public int TrainingUnitCount => _units.Count;
    public long TrainingSampleCount => _units.Count;

    public Tensor TrainingLoss(ReadOnlySpan<int> units)
    {
        var rows = _units.Rows(units);
        var offsets = _userTranslations.index_select(0, tensor(rows.Owner));
        return TransitionLosses(offsets, rows).sum();
    }

    /// <summary>Per-transition losses, averaged over each transition's negatives (the rows hold units × negatives samples).</summary>
    private Tensor TransitionLosses(Tensor offsets, TransitionRows rows)
    {
        int k = _units.NegativesPerTransition;
        Scalar one = _scalars.One, minusOne = _scalars.MinusOne;
        var pos = tensor(rows.Positives);
        var neg = tensor(rows.Negatives);
        var gl = _points.index_select(0, tensor(rows.Previous));
        var gi = _points.index_select(0, pos);
        var gj = _points.index_select(0, neg);
        var bi = _bias.index_select(0, pos);
        var bj = _bias.index_select(0, neg);
        var center = gl.add(offsets, one).add(_translation, one);
        var x = bi.add(Distance(center, gi), minusOne).add(bj, minusOne).add(Distance(center, gj), one);
        var penalty = SequentialInfluence.SquaredRows(gl).add(SequentialInfluence.SquaredRows(gi), one).add(SequentialInfluence.SquaredRows(gj), one)
            .add(bi.mul(bi), one).add(bj.mul(bj), one).add(SequentialInfluence.SquaredRows(offsets), one)
            .add(_translation.mul(_translation).sum(), one);
        var losses = nn.functional.logsigmoid(x).neg().add(penalty, _scalars[_l2]);
        return losses.reshape(rows.Count / k, k).mean([1]);
    }

    /// <summary>d(a_r, b_r) for every row r: the squared L2 distance, or √(squared + 10⁻¹⁰) as Fit computes the L2 distance.</summary>
    private Tensor Distance(Tensor a, Tensor b)
    {
        var difference = a.add(b, _scalars.MinusOne);
        var squared = difference.mul(difference).sum(1);
        return _squared ? squared : squared.add(_scalars[RootOffset], _scalars.One).sqrt();
    }

    public Tensor TargetScores(IReadOnlyList<TargetPair> targets)
    {
        var (users, items, previous, empty) = SequentialInfluence.TargetIndices(targets, _serving.Users, _serving.Items, _serving.LastItem);
        var itemIndex = tensor(items);
        var center = _points.index_select(0, tensor(previous))
            .add(_userTranslations.index_select(0, tensor(users)), _scalars.One)
            .add(_translation, _scalars.One);
        var scores = _bias.index_select(0, itemIndex).add(Distance(center, _points.index_select(0, itemIndex)), _scalars.MinusOne);
        return SequentialInfluence.PopularityForEmpty(scores, empty, items, _serving.Popularity);
    }

    public SampleBatch ProfileSamples(IReadOnlyList<int[]> profiles)
        => _units.ProfileBatch(this, profiles, _serving.Factors, _serving.FoldIn);

    public SampleBatch UserSamples(int user) => _units.UserBatch(this, user);

    public Tensor SampleLosses(SampleBatch batch)
    {
        if (batch is not TransitionBatch samples || !ReferenceEquals(samples.Source, this))
            throw new ArgumentException("The batch was not prepared by this TransRec influence view.", nameof(batch));
        if (samples.Count == 0) return zeros(0, float64);
        var table = samples.OwnUsers ?? (Tensor)_userTranslations;
        var offsets = table.index_select(0, tensor(samples.Rows.Owner));
        return TransitionLosses(offsets, samples.Rows);
    }

    public void Dispose()
    {
        foreach (var p in _parameters) p.Dispose();
        _scalars.Dispose();
    }
}
