using PoisonRange.Data;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Influence;

/// <summary>
/// The differentiable view of a trained or loaded <see cref="Fpmc"/>: θ = (P = V^{U,I},
/// Q = V^{I,U}, W = V^{I,L}, C = V^{L,I}, b) as float64 tensors rebuilt from the serving arrays,
/// and S-BPR's per-transition loss
/// ℓ(u, l → i, j) = −ln σ(x(u,l,i) − x(u,l,j)) + λ(‖p_u‖² + ‖q_i‖² + ‖q_j‖² + ‖w_i‖² + ‖w_j‖² + ‖c_l‖² [+ b_i² + b_j²])
/// with x(u,l,i) = p_u·q_i + c_l·w_i [+ b_i], exactly the terms <see cref="Fpmc.Fit"/> averages
/// over its batches (its penalty is λ/batch times the batch's sum of these norms).
/// </summary>
/// <remarks>
/// <para><b>Units.</b> One unit is one training transition (user, previous item → next item) of
/// the transitions Fit trains on: users whose sequence covers the catalogue have none.</para>
/// <para><b>Differences from Fit, stated.</b> Fit draws a fresh negative for every transition each
/// epoch, so its objective is an expectation; here every transition has
/// <see cref="NegativesPerTransition"/> negatives drawn once from a generator seeded by
/// (seed, user, position) and its loss averages them (see <see cref="TransitionUnits"/>). Fit's
/// optimizer (Adam or SGD) and batch order do not change the objective; its last, shorter batch
/// weights its samples by 1/length instead of 1/batch, which the summed objective ignores. After
/// training, Fit sets the user factor of a user without a transition to zero; such a row enters no
/// unit, so its Hessian is zero (LiSSA's damping stands in for it) and a refit leaves it at zero.</para>
/// <para><b>Scores.</b> A known user u' with last training item l scores v as
/// p_{u'}·q_v + c_l·w_v + b_v, as the serving model does; a user without training history is
/// served by popularity, which no parameter moves.</para>
/// <para><b>New accounts.</b> A fake profile is a new user whose factor p_f is not in θ. For
/// influence it is fixed at the model's fold-in of the profile (<see cref="Fpmc.FoldIn"/>, what the
/// platform would serve before retraining); a refit (<see cref="InfluenceRefit"/>) trains it
/// jointly from there. Its samples are its transitions, each against negatives seeded by
/// (seed, position, previous item, next item) from the items outside the profile.</para>
/// </remarks>
public sealed class FpmcInfluence : IInfluenceModel
{
    private readonly FpmcServingModel _serving;
    private readonly Parameter _users;
    private readonly Parameter _items;
    private readonly Parameter _next;
    private readonly Parameter _previous;
    private readonly Parameter? _bias;
    private readonly Tensor[] _parameters;
    private readonly double _l2;
    private readonly TransitionUnits _units;
    private readonly ScalarCache _scalars = new();

    /// <param name="model">A fitted or loaded FPMC.</param>
    /// <param name="train">The training set the model was fitted on (its transitions are the units).</param>
    /// <param name="seed">Fixes the negatives of every transition.</param>
    /// <param name="negativesPerTransition">Fixed negatives per transition (1..64).</param>
    public FpmcInfluence(Fpmc model, InteractionDataset train, ulong seed = 0, int negativesPerTransition = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        _serving = model.ServingModel;
        SequentialInfluence.CheckTrainingSet(train, _serving.Users, _serving.Items, _serving.LastItem, _serving.Popularity);
        _l2 = model.Options.L2;
        _units = new TransitionUnits(train, seed, negativesPerTransition);
        int users = _serving.Users, items = _serving.Items, d = _serving.Factors;

        _users = new Parameter(SequentialInfluence.ToTensor(_serving.UserFactors, users, d));
        _items = new Parameter(SequentialInfluence.ToTensor(_serving.ItemFactors, items, d));
        _next = new Parameter(SequentialInfluence.ToTensor(_serving.NextFactors, items, d));
        _previous = new Parameter(SequentialInfluence.ToTensor(_serving.PreviousFactors, items, d));
        _bias = _serving.ItemBias is null ? null : new Parameter(SequentialInfluence.ToTensor(_serving.ItemBias));
        _parameters = _bias is null ? [_users, _items, _next, _previous] : [_users, _items, _next, _previous, _bias];
        ParameterCount = _parameters.Sum(p => p.numel());
    }

    public string Kind => Fpmc.KindName;

    /// <summary>Fixed negatives per transition.</summary>
    public int NegativesPerTransition => _units.NegativesPerTransition;

    public IReadOnlyList<Tensor> Parameters => _parameters;
    public long ParameterCount { get; }
    public int TrainingUnitCount => _units.Count;
    public long TrainingSampleCount => _units.Count;

    public Tensor TrainingLoss(ReadOnlySpan<int> units)
    {
        var rows = _units.Rows(units);
        var p = _users.index_select(0, tensor(rows.Owner));
        return TransitionLosses(p, rows).sum();
    }

    /// <summary>Per-transition losses, averaged over each transition's negatives (the rows hold units × negatives samples).</summary>
    private Tensor TransitionLosses(Tensor p, TransitionRows rows)
    {
        int k = _units.NegativesPerTransition;
        Scalar one = _scalars.One;
        var pos = tensor(rows.Positives);
        var neg = tensor(rows.Negatives);
        var qi = _items.index_select(0, pos);
        var qj = _items.index_select(0, neg);
        var wi = _next.index_select(0, pos);
        var wj = _next.index_select(0, neg);
        var c = _previous.index_select(0, tensor(rows.Previous));
        var x = p.mul(qi.sub(qj)).sum(1).add(c.mul(wi.sub(wj)).sum(1), one);
        var penalty = SequentialInfluence.SquaredRows(p).add(SequentialInfluence.SquaredRows(qi), one).add(SequentialInfluence.SquaredRows(qj), one)
            .add(SequentialInfluence.SquaredRows(wi), one).add(SequentialInfluence.SquaredRows(wj), one).add(SequentialInfluence.SquaredRows(c), one);
        if (_bias is not null)
        {
            var bi = _bias.index_select(0, pos);
            var bj = _bias.index_select(0, neg);
            x = x.add(bi, one).sub(bj);
            penalty = penalty.add(bi.mul(bi), one).add(bj.mul(bj), one);
        }
        var losses = nn.functional.logsigmoid(x).neg().add(penalty, _scalars[_l2]);
        return losses.reshape(rows.Count / k, k).mean([1]);
    }

    public Tensor TargetScores(IReadOnlyList<TargetPair> targets)
    {
        var (users, items, previous, empty) = SequentialInfluence.TargetIndices(targets, _serving.Users, _serving.Items, _serving.LastItem);
        var itemIndex = tensor(items);
        var scores = _users.index_select(0, tensor(users)).mul(_items.index_select(0, itemIndex)).sum(1)
            .add(_previous.index_select(0, tensor(previous)).mul(_next.index_select(0, itemIndex)).sum(1), _scalars.One);
        if (_bias is not null) scores = scores.add(_bias.index_select(0, itemIndex), _scalars.One);
        return SequentialInfluence.PopularityForEmpty(scores, empty, items, _serving.Popularity);
    }

    public SampleBatch ProfileSamples(IReadOnlyList<int[]> profiles)
        => _units.ProfileBatch(this, profiles, _serving.Factors, _serving.FoldIn);

    public SampleBatch UserSamples(int user) => _units.UserBatch(this, user);

    public Tensor SampleLosses(SampleBatch batch)
    {
        if (batch is not TransitionBatch samples || !ReferenceEquals(samples.Source, this))
            throw new ArgumentException("The batch was not prepared by this FPMC influence view.", nameof(batch));
        if (samples.Count == 0) return zeros(0, float64);
        var table = samples.OwnUsers ?? (Tensor)_users;
        var p = table.index_select(0, tensor(samples.Rows.Owner));
        return TransitionLosses(p, samples.Rows);
    }

    public void Dispose()
    {
        foreach (var p in _parameters) p.Dispose();
        _scalars.Dispose();
    }
}
