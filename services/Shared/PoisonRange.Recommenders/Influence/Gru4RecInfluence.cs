using PoisonRange.Data;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Influence;

/// <summary>
/// The differentiable view of a trained or loaded <see cref="Gru4Rec"/>, rebuilt from its
/// checkpoint arrays: θ = (input table T, recurrent weights W_h and bias b_h, output embeddings O
/// and bias c), float64. A step of the GRU reads row T[x] (the item's input projection, gates r, z,
/// n in libtorch's order) exactly as the serving model does; the score of item v after a history
/// is O_v·h + c_v; the loss of a training sample (prefix → next item, LOKI §3.3) is the
/// cross-entropy of the next item over the catalogue, as <see cref="Gru4Rec.Fit"/> minimises.
/// </summary>
/// <remarks>
/// <para>Differences from Fit, stated: the checkpoint keeps the input projection T = E·W_iᵀ + b_i,
/// not E and W_i, so θ holds T as a free matrix (a superset of what Fit can reach; a refit of this
/// view moves T freely). Dropout is a training-time noise and is off in the objective. Fit's
/// weight decay λ on the mean loss is the penalty (λ/2)‖θ‖² per unit of mean loss, so the summed
/// objective carries N·(λ/2)‖θ‖², spread over the units by their sample counts (zero with the
/// default λ = 0; LiSSA's damping then stands in for it).</para>
/// <para>Training units are the windows Fit trains on: each user's sequence cut into windows of
/// at most MaxLength targets, aligned to its end; a window's samples predict s[k] from the window's
/// items before k. A target user's score uses the state after the last MaxLength training items,
/// as the serving model caches it.</para>
/// </remarks>
public sealed class Gru4RecInfluence : IInfluenceModel
{
    private readonly GruServingModel _serving;
    private readonly int _hidden;
    private readonly int _maxLength;
    private readonly double _l2;
    private readonly Parameter _input;
    private readonly Parameter _recurrent;
    private readonly Parameter _recurrentBias;
    private readonly Parameter _output;
    private readonly Parameter _outputBias;
    private readonly Tensor[] _parameters;
    private readonly int[][] _sequences;
    private readonly List<(int User, int First, int Last)> _windows = [];
    private readonly int[][] _userWindows;
    private readonly ScalarCache _scalars = new();

    public Gru4RecInfluence(Gru4Rec model, InteractionDataset train)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        _serving = model.ServingModel;
        if (train.UserCount != _serving.Users || train.ItemCount != _serving.Items)
            throw new ArgumentException($"The training set {train} does not match the model ({_serving.Users} users, {_serving.Items} items).", nameof(train));
        _hidden = _serving.Hidden;
        _maxLength = _serving.MaxLength;
        _l2 = model.Options.L2;
        _sequences = train.Sequences;
        int items = _serving.Items, h = _hidden;

        _userWindows = new int[train.UserCount][];
        long samples = 0;
        for (int u = 0; u < train.UserCount; u++)
        {
            var mine = new List<int>();
            foreach (var (first, last) in Windows(train.Sequences[u].Length, _maxLength))
            {
                mine.Add(_windows.Count);
                _windows.Add((u, first, last));
                samples += last - first + 1;
            }
            _userWindows[u] = [.. mine];
        }
        TrainingSampleCount = samples;

        _input = new Parameter(ToTensor(_serving.InputTable, items, 3 * h));
        _recurrent = new Parameter(ToTensor(_serving.RecurrentWeights, 3 * h, h));
        _recurrentBias = new Parameter(ToTensor(_serving.RecurrentBias, 1, 3 * h).squeeze(0).detach());
        _output = new Parameter(ToTensor(_serving.OutputWeights, items, h));
        _outputBias = new Parameter(ToTensor(_serving.OutputBias, 1, items).squeeze(0).detach());
        _parameters = [_input, _recurrent, _recurrentBias, _output, _outputBias];
        ParameterCount = _parameters.Sum(p => p.numel());
    }

    public string Kind => Gru4Rec.KindName;
    public IReadOnlyList<Tensor> Parameters => _parameters;
    public long ParameterCount { get; }
    public int TrainingUnitCount => _windows.Count;
    public long TrainingSampleCount { get; }

    /// <summary>Windows (first target, last target) of a sequence of the given length, aligned to its end, as Fit cuts them.</summary>
    private static IEnumerable<(int First, int Last)> Windows(int length, int maxLength)
    {
        for (int hi = length - 1; hi >= 1;)
        {
            int lo = Math.Max(1, hi - maxLength + 1);
            yield return (lo, hi);
            hi = lo - 1;
        }
    }

    public Tensor TrainingLoss(ReadOnlySpan<int> units)
    {
        var rows = new List<(int[] Sequence, int First, int Last, int Group)>(units.Length);
        foreach (var unit in units)
        {
            if ((uint)unit >= (uint)_windows.Count)
                throw new ArgumentOutOfRangeException(nameof(units), unit, $"Unit {unit} is outside 0..{_windows.Count - 1}.");
            var (user, first, last) = _windows[unit];
            rows.Add((_sequences[user], first, last, 0));
        }
        using var batch = Build(rows, 1);
        var loss = SampleLosses(batch).sum();
        if (_l2 > 0)
        {
            var squares = _parameters.Select(p => p.mul(p).sum()).Aggregate((a, b) => a.add(b, _scalars.One));
            loss = loss.add(squares, _scalars[0.5 * _l2 * batch.Count]);
        }
        return loss;
    }

    public Tensor TargetScores(IReadOnlyList<TargetPair> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        int n = targets.Count;
        var histories = new int[n][];
        int steps = 1;
        for (int t = 0; t < n; t++)
        {
            var (user, item) = targets[t];
            if ((uint)user >= (uint)_sequences.Length)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[t], $"Target user {user} is outside 0..{_sequences.Length - 1}.");
            if ((uint)item >= (uint)_serving.Items)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[t], $"Target item {item} is outside 0..{_serving.Items - 1}.");
            var sequence = _sequences[user];
            histories[t] = sequence.Length > _maxLength ? sequence[^_maxLength..] : sequence;
            steps = Math.Max(steps, histories[t].Length);
        }
        var inputs = new long[n * steps];
        var last = new long[n];
        for (int t = 0; t < n; t++)
        {
            for (int k = 0; k < histories[t].Length; k++) inputs[t * steps + k] = histories[t][k];
            last[t] = t * steps + Math.Max(0, histories[t].Length - 1);
        }
        var states = Run(inputs, n, steps).reshape(-1, _hidden).index_select(0, tensor(last));
        var itemIndex = tensor(targets.Select(p => (long)p.Item).ToArray());
        var scores = states.mul(_output.index_select(0, itemIndex)).sum(1).add(_outputBias.index_select(0, itemIndex), _scalars.One);
        // A user without training history is served by popularity, which no parameter moves.
        var empty = histories.Select(x => x.Length == 0).ToArray();
        if (empty.Any(e => e))
        {
            var popularity = tensor(targets.Select(p => (double)_serving.Popularity[p.Item]).ToArray(), float64);
            scores = where(tensor(empty), popularity, scores);
        }
        return scores;
    }

    public SampleBatch ProfileSamples(IReadOnlyList<int[]> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var rows = new List<(int[] Sequence, int First, int Last, int Group)>();
        for (int g = 0; g < profiles.Count; g++)
        {
            var profile = profiles[g] ?? throw new ArgumentException($"Profile {g} is null.", nameof(profiles));
            foreach (var item in profile)
                if ((uint)item >= (uint)_serving.Items)
                    throw new ArgumentOutOfRangeException(nameof(profiles), item, $"Profile {g} holds item {item}, outside 0..{_serving.Items - 1}.");
            foreach (var (first, last) in Windows(profile.Length, _maxLength)) rows.Add((profile, first, last, g));
        }
        return Build(rows, profiles.Count);
    }

    public SampleBatch UserSamples(int user)
    {
        if ((uint)user >= (uint)_sequences.Length)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{_sequences.Length - 1}.");
        var rows = _userWindows[user].Select(w => (_sequences[user], _windows[w].First, _windows[w].Last, 0)).ToList();
        return Build(rows, 1);
    }

    public Tensor SampleLosses(SampleBatch batch)
    {
        if (batch is not GruSamples samples)
            throw new ArgumentException("The batch was not prepared by a GRU4Rec influence view.", nameof(batch));
        if (samples.Count == 0) return zeros(0, float64);
        var outputs = Run(samples.Inputs, samples.Rows, samples.Steps).reshape(-1, _hidden).index_select(0, tensor(samples.Positions));
        var logits = outputs.matmul(_output.t()).add(_outputBias, _scalars.One);
        return nn.functional.cross_entropy(logits, tensor(samples.Targets), reduction: nn.Reduction.None);
    }

    /// <summary>Hidden states after every step of a left-aligned, zero-padded batch (rows × steps × H).</summary>
    private Tensor Run(long[] inputs, int rows, int steps)
    {
        int h = _hidden;
        var projected = _input.index_select(0, tensor(inputs)).reshape(rows, steps, 3 * h);
        var state = zeros(rows, h, float64);
        var recurrentT = _recurrent.t();
        var outputs = new Tensor[steps];
        for (int t = 0; t < steps; t++)
        {
            var gi = projected.select(1, t);
            var gh = state.matmul(recurrentT).add(_recurrentBias, _scalars.One);
            var r = gi.narrow(1, 0, h).add(gh.narrow(1, 0, h), _scalars.One).sigmoid();
            var z = gi.narrow(1, h, h).add(gh.narrow(1, h, h), _scalars.One).sigmoid();
            var n = gi.narrow(1, 2 * h, h).add(r.mul(gh.narrow(1, 2 * h, h)), _scalars.One).tanh();
            state = n.add(z.mul(state.sub(n)), _scalars.One);
            outputs[t] = state;
        }
        return stack(outputs, 1);
    }

    private static GruSamples Build(List<(int[] Sequence, int First, int Last, int Group)> rows, int groups)
    {
        int steps = 1;
        foreach (var row in rows) steps = Math.Max(steps, row.Last - row.First + 1);
        var inputs = new long[Math.Max(1, rows.Count) * steps];
        var positions = new List<long>();
        var targets = new List<long>();
        var groupOfSample = new List<int>();
        for (int b = 0; b < rows.Count; b++)
        {
            var (sequence, first, last, group) = rows[b];
            for (int t = 0, k = first; k <= last; t++, k++)
            {
                inputs[b * steps + t] = sequence[k - 1];
                positions.Add(b * steps + t);
                targets.Add(sequence[k]);
                groupOfSample.Add(group);
            }
        }
        return new GruSamples(groups, [.. groupOfSample], inputs, Math.Max(1, rows.Count), steps, [.. positions], [.. targets]);
    }

    private static Tensor ToTensor(float[] values, int rows, int columns)
    {
        var data = new double[values.Length];
        for (int k = 0; k < values.Length; k++) data[k] = values[k];
        return tensor(data, [rows, columns], float64);
    }

    public void Dispose()
    {
        foreach (var p in _parameters) p.Dispose();
        _scalars.Dispose();
    }

    private sealed class GruSamples(int groups, int[] groupOfSample, long[] inputs, int rows, int steps, long[] positions, long[] targets)
        : SampleBatch(groups, groupOfSample)
    {
        public long[] Inputs { get; } = inputs;
        public int Rows { get; } = rows;
        public int Steps { get; } = steps;
        public long[] Positions { get; } = positions;
        public long[] Targets { get; } = targets;
    }
}
