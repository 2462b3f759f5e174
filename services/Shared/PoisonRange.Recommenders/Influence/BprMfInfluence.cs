using PoisonRange.Data;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Influence;

/// <summary>
/// The differentiable view of a trained or loaded <see cref="BprMf"/>: θ = (P, Q, b) as float64
/// tensors rebuilt from the serving arrays, and BPR's per-triple loss
/// ℓ(u, i, j) = −ln σ(p_u·(q_i − q_j) + b_i − b_j) + λ(‖p_u‖² + ‖q_i‖² + ‖q_j‖² + b_i² + b_j²),
/// exactly the terms <see cref="BprMf.Fit"/> averages.
/// </summary>
/// <remarks>
/// <para><b>Fixed negatives.</b> Fit draws a fresh negative j for every (u, i) each epoch, so its
/// objective is an expectation. The Hessian needs one fixed function: each training pair (u, i)
/// gets <see cref="NegativesPerPair"/> negatives drawn once from a generator seeded by
/// (seed, u, i), independent of order, so the same view is rebuilt bit for bit from the same
/// checkpoint, training set and seed, and every unit's loss averages its negatives.</para>
/// <para><b>New accounts.</b> A fake profile is a new user whose vector p_f is not in θ. For
/// influence it is fixed at the model's fold-in of the profile (what the platform would serve
/// before retraining); a refit (<see cref="InfluenceRefit"/>) trains it jointly from there. Its
/// items are its distinct items, each against negatives seeded by (seed, item, position).</para>
/// </remarks>
public sealed class BprMfInfluence : IInfluenceModel
{
    private readonly FactorServingModel _serving;
    private readonly Parameter _users;
    private readonly Parameter _items;
    private readonly Parameter? _bias;
    private readonly Tensor[] _parameters;
    private readonly double _l2;
    private readonly int[] _unitUser;
    private readonly int[] _unitItem;
    private readonly int[] _unitNegatives; // NegativesPerPair per unit
    private readonly int[][] _userUnits;
    private readonly int[][] _positives;
    private readonly ulong _seed;
    private readonly ScalarCache _scalars = new();

    public BprMfInfluence(BprMf model, InteractionDataset train, ulong seed = 0, int negativesPerPair = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        if (negativesPerPair is < 1 or > 64)
            throw new ArgumentOutOfRangeException(nameof(negativesPerPair), negativesPerPair, $"negativesPerPair must be between 1 and 64; got {negativesPerPair}.");
        _serving = model.ServingModel;
        if (train.UserCount != _serving.Users || train.ItemCount != _serving.Items)
            throw new ArgumentException($"The training set {train} does not match the model ({_serving.Users} users, {_serving.Items} items).", nameof(train));
        _l2 = model.Options.L2;
        _seed = seed;
        NegativesPerPair = negativesPerPair;
        int users = _serving.Users, items = _serving.Items, d = _serving.Factors;

        _positives = new int[users][];
        var unitUser = new List<int>();
        var unitItem = new List<int>();
        var negatives = new List<int>();
        _userUnits = new int[users][];
        for (int u = 0; u < users; u++)
        {
            var distinct = train.Sequences[u].Distinct().ToArray();
            Array.Sort(distinct);
            _positives[u] = distinct;
            if (distinct.Length >= items)
            {
                _userUnits[u] = [];
                continue;
            }
            var mine = new int[distinct.Length];
            for (int k = 0; k < distinct.Length; k++)
            {
                mine[k] = unitUser.Count;
                unitUser.Add(u);
                unitItem.Add(distinct[k]);
                var rng = new SeededRandom(Mix(seed, (ulong)u, (ulong)distinct[k]), BoundedIntegers.Full64Bits);
                for (int n = 0; n < negativesPerPair; n++) negatives.Add(ImplicitFeedback.SampleNegative(rng, distinct, items));
            }
            _userUnits[u] = mine;
        }
        _unitUser = [.. unitUser];
        _unitItem = [.. unitItem];
        _unitNegatives = [.. negatives];

        _users = new Parameter(ToTensor(_serving.UserFactors, users, d));
        _items = new Parameter(ToTensor(_serving.ItemFactors, items, d));
        _bias = _serving.ItemBias is null ? null : new Parameter(ToTensor(_serving.ItemBias, items, 1).squeeze(1).detach());
        _parameters = _bias is null ? [_users, _items] : [_users, _items, _bias];
        ParameterCount = _parameters.Sum(p => p.numel());
    }

    public string Kind => BprMf.KindName;
    public int NegativesPerPair { get; }
    public IReadOnlyList<Tensor> Parameters => _parameters;
    public long ParameterCount { get; }
    public int TrainingUnitCount => _unitUser.Length;
    public long TrainingSampleCount => _unitUser.Length;

    public Tensor TrainingLoss(ReadOnlySpan<int> units)
    {
        int n = units.Length, k = NegativesPerPair;
        var users = new long[n * k];
        var positives = new long[n * k];
        var negatives = new long[n * k];
        for (int t = 0; t < n; t++)
        {
            int unit = units[t];
            if ((uint)unit >= (uint)_unitUser.Length)
                throw new ArgumentOutOfRangeException(nameof(units), unit, $"Unit {unit} is outside 0..{_unitUser.Length - 1}.");
            for (int r = 0; r < k; r++)
            {
                users[t * k + r] = _unitUser[unit];
                positives[t * k + r] = _unitItem[unit];
                negatives[t * k + r] = _unitNegatives[unit * k + r];
            }
        }
        var p = _users.index_select(0, tensor(users));
        return TripleLosses(p, positives, negatives).sum();
    }

    /// <summary>Per-triple losses, averaged over each unit's negatives (the first dimension of <paramref name="p"/> is units × negatives).</summary>
    private Tensor TripleLosses(Tensor p, long[] positives, long[] negatives)
    {
        int k = NegativesPerPair;
        var pos = tensor(positives);
        var neg = tensor(negatives);
        var qi = _items.index_select(0, pos);
        var qj = _items.index_select(0, neg);
        var x = p.mul(qi.sub(qj)).sum(1);
        var penalty = p.mul(p).sum(1).add(qi.mul(qi).sum(1), _scalars.One).add(qj.mul(qj).sum(1), _scalars.One);
        if (_bias is not null)
        {
            var bi = _bias.index_select(0, pos);
            var bj = _bias.index_select(0, neg);
            x = x.add(bi, _scalars.One).sub(bj);
            penalty = penalty.add(bi.mul(bi), _scalars.One).add(bj.mul(bj), _scalars.One);
        }
        var losses = nn.functional.logsigmoid(x).neg().add(penalty, _scalars[_l2]);
        return losses.reshape(-1, k).mean([1]);
    }

    public Tensor TargetScores(IReadOnlyList<TargetPair> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var users = new long[targets.Count];
        var items = new long[targets.Count];
        for (int t = 0; t < targets.Count; t++)
        {
            CheckTarget(targets[t]);
            users[t] = targets[t].User;
            items[t] = targets[t].Item;
        }
        var itemIndex = tensor(items);
        var score = _users.index_select(0, tensor(users)).mul(_items.index_select(0, itemIndex)).sum(1);
        return _bias is null ? score : score.add(_bias.index_select(0, itemIndex), _scalars.One);
    }

    private void CheckTarget(TargetPair target)
    {
        if ((uint)target.User >= (uint)_serving.Users)
            throw new ArgumentOutOfRangeException(nameof(target), target, $"Target user {target.User} is outside 0..{_serving.Users - 1}.");
        if ((uint)target.Item >= (uint)_serving.Items)
            throw new ArgumentOutOfRangeException(nameof(target), target, $"Target item {target.Item} is outside 0..{_serving.Items - 1}.");
    }

    public SampleBatch ProfileSamples(IReadOnlyList<int[]> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        int d = _serving.Factors, items = _serving.Items, k = NegativesPerPair;
        var vectors = new double[profiles.Count * d];
        var groupOfSample = new List<int>();
        var owner = new List<long>();
        var positives = new List<long>();
        var negatives = new List<long>();
        var vector = new float[d];
        for (int g = 0; g < profiles.Count; g++)
        {
            var profile = profiles[g] ?? throw new ArgumentException($"Profile {g} is null.", nameof(profiles));
            foreach (var item in profile)
                if ((uint)item >= (uint)items)
                    throw new ArgumentOutOfRangeException(nameof(profiles), item, $"Profile {g} holds item {item}, outside 0..{items - 1}.");
            var distinct = profile.Distinct().ToArray();
            Array.Sort(distinct);
            if (distinct.Length == 0 || distinct.Length >= items) continue; // no ranking signal: no samples
            if (!_serving.FoldIn(profile, vector)) vector.AsSpan().Clear();
            for (int c = 0; c < d; c++) vectors[g * d + c] = vector[c];
            for (int position = 0; position < distinct.Length; position++)
            {
                groupOfSample.Add(g);
                var rng = new SeededRandom(Mix(_seed ^ 0xF0F0F0F0UL, (ulong)distinct[position], (ulong)position), BoundedIntegers.Full64Bits);
                for (int r = 0; r < k; r++)
                {
                    owner.Add(g);
                    positives.Add(distinct[position]);
                    negatives.Add(ImplicitFeedback.SampleNegative(rng, distinct, items));
                }
            }
        }
        var own = new Parameter(tensor(vectors, [profiles.Count, d], float64), requires_grad: false);
        return new BprSamples(profiles.Count, [.. groupOfSample], own, [.. owner], [.. positives], [.. negatives]);
    }

    public SampleBatch UserSamples(int user)
    {
        if ((uint)user >= (uint)_serving.Users)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{_serving.Users - 1}.");
        int k = NegativesPerPair;
        var units = _userUnits[user];
        var owner = new long[units.Length * k];
        var positives = new long[units.Length * k];
        var negatives = new long[units.Length * k];
        for (int t = 0; t < units.Length; t++)
            for (int r = 0; r < k; r++)
            {
                owner[t * k + r] = user;
                positives[t * k + r] = _unitItem[units[t]];
                negatives[t * k + r] = _unitNegatives[units[t] * k + r];
            }
        return new BprSamples(1, new int[units.Length], null, owner, positives, negatives);
    }

    public Tensor SampleLosses(SampleBatch batch)
    {
        if (batch is not BprSamples samples)
            throw new ArgumentException("The batch was not prepared by a BPR-MF influence view.", nameof(batch));
        var table = samples.Vectors ?? (Tensor)_users;
        var p = table.index_select(0, tensor(samples.Owner));
        return TripleLosses(p, samples.Positives, samples.Negatives);
    }

    private static Tensor ToTensor(float[] values, int rows, int columns)
    {
        var data = new double[values.Length];
        for (int k = 0; k < values.Length; k++) data[k] = values[k];
        return tensor(data, [rows, columns], float64);
    }

    internal static ulong Mix(ulong seed, ulong a, ulong b)
    {
        ulong x = seed ^ (a * 0x9E3779B97F4A7C15UL) ^ ulong.RotateLeft(b * 0xC2B2AE3D27D4EB4FUL, 31);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public void Dispose()
    {
        foreach (var p in _parameters) p.Dispose();
        _scalars.Dispose();
    }

    private sealed class BprSamples(int groups, int[] groupOfSample, Parameter? vectors, long[] owner, long[] positives, long[] negatives)
        : SampleBatch(groups, groupOfSample)
    {
        public Parameter? Vectors { get; } = vectors;
        public long[] Owner { get; } = owner;
        public long[] Positives { get; } = positives;
        public long[] Negatives { get; } = negatives;
        public override IReadOnlyList<Tensor> OwnParameters => Vectors is null ? [] : [Vectors];

        protected override void Dispose(bool disposing)
        {
            if (disposing) Vectors?.Dispose();
        }
    }
}
