using PoisonRange.Data;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Agent.Loki;

/// <summary>Sizes of <see cref="DuelingGruQNetwork"/>.</summary>
public sealed record QNetworkSizes(int Embedding = 16, int StateHidden = 32, int ActionHidden = 32, int HeadHidden = 32)
{
    public void Validate()
    {
        if (Embedding < 1 || StateHidden < 1 || ActionHidden < 1 || HeadHidden < 1)
            throw new ArgumentException($"network sizes must be at least 1, got embedding {Embedding}, state hidden {StateHidden}, action hidden {ActionHidden}, head hidden {HeadHidden}.");
    }
}

/// <summary>
/// LOKI's Q-network (§3.4.2, Fig. 3) with the dueling heads of Wang et al. (2016): the state,
/// a group-level action sequence preceded by a start token, is embedded and read by a GRU whose
/// last output is the state representation s; each action's representation h_a comes from a
/// dense layer (ReLU) over a learnt embedding of the group concatenated with the group's fixed
/// features (mean NMF item features and log size, when given); V(s) is an MLP over s, A(s, a)
/// an MLP over [s; h_a], and Q(s, a) = V(s) + A(s, a) − mean_a' A(s, a').
/// Parameters are initialised from a <see cref="SeededRandom"/>, never from libtorch's global
/// generator, so two networks built with one seed are identical.
/// </summary>
public sealed class DuelingGruQNetwork : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding _stateEmbedding;
    private readonly GRU _gru;
    private readonly Embedding _actionEmbedding;
    private readonly Linear _actionDense;
    private readonly Linear _value1;
    private readonly Linear _value2;
    private readonly Linear _advantage1;
    private readonly Linear _advantage2;
    private readonly Tensor? _actionFeatures;
    private readonly ScalarCache _scalars = new();
    private readonly int _actions;
    private readonly QNetworkSizes _sizes;

    /// <param name="actions">Number of actions (groups).</param>
    /// <param name="actionFeatures">Optional fixed features per action (equal lengths).</param>
    public DuelingGruQNetwork(int actions, QNetworkSizes sizes, IReadOnlyList<float[]>? actionFeatures, ulong seed)
        : base(nameof(DuelingGruQNetwork))
    {
        ArgumentNullException.ThrowIfNull(sizes);
        sizes.Validate();
        if (actions < 1) throw new ArgumentException($"The network needs at least one action, got {actions}.");
        if (actionFeatures is not null && actionFeatures.Count != actions)
            throw new ArgumentException($"{actionFeatures.Count} feature vectors for {actions} actions.");
        _actions = actions;
        _sizes = sizes;
        int featureLength = actionFeatures?[0].Length ?? 0;
        _stateEmbedding = nn.Embedding(actions + 1, sizes.Embedding);
        _gru = nn.GRU(sizes.Embedding, sizes.StateHidden, batchFirst: true);
        _actionEmbedding = nn.Embedding(actions, sizes.Embedding);
        _actionDense = nn.Linear(sizes.Embedding + featureLength, sizes.ActionHidden);
        _value1 = nn.Linear(sizes.StateHidden, sizes.HeadHidden);
        _value2 = nn.Linear(sizes.HeadHidden, 1);
        _advantage1 = nn.Linear(sizes.StateHidden + sizes.ActionHidden, sizes.HeadHidden);
        _advantage2 = nn.Linear(sizes.HeadHidden, 1);
        if (featureLength > 0)
        {
            var flat = new float[actions * featureLength];
            for (int a = 0; a < actions; a++) actionFeatures![a].CopyTo(flat, a * featureLength);
            _actionFeatures = tensor(flat).reshape(actions, featureLength).DetachFromDisposeScope();
        }
        RegisterComponents();
        Initialize(new SeededRandom(seed));
    }

    public int ActionCount => _actions;

    /// <summary>The token that starts every state sequence (the state of an empty profile).</summary>
    public long StartToken => _actions;

    /// <summary>
    /// Q-values (batch × actions) for a right-padded batch of state sequences (batch × length,
    /// start token first) and the flat index (row · length + last position) of each row's last
    /// real position.
    /// </summary>
    public override Tensor forward(Tensor states, Tensor lastPositions)
    {
        long batch = states.shape[0];
        var (output, _) = _gru.forward(_stateEmbedding.forward(states));
        var state = output.reshape(-1, _sizes.StateHidden).index_select(0, lastPositions);

        Tensor actionInput = _actionEmbedding.weight!;
        if (_actionFeatures is not null) actionInput = cat([actionInput, _actionFeatures], 1);
        var actionRepresentation = nn.functional.relu(_actionDense.forward(actionInput));

        var value = _value2.forward(nn.functional.relu(_value1.forward(state)));
        var pairs = cat(
        [
            state.unsqueeze(1).expand(batch, _actions, _sizes.StateHidden),
            actionRepresentation.unsqueeze(0).expand(batch, _actions, _sizes.ActionHidden),
        ], 2);
        var advantage = _advantage2.forward(nn.functional.relu(_advantage1.forward(pairs))).squeeze(2);
        var centred = advantage.add(advantage.mean([1L], keepdim: true), _scalars.MinusOne);
        return centred.add(value, _scalars.One);
    }

    /// <summary>Copies every parameter of <paramref name="source"/> (same sizes) into this network.</summary>
    public void CopyFrom(DuelingGruQNetwork source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var noGrad = no_grad();
        var mine = named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        foreach (var (name, parameter) in source.named_parameters())
        {
            if (!mine.TryGetValue(name, out var target) || !target.shape.SequenceEqual(parameter.shape))
                throw new ArgumentException($"The networks differ at parameter '{name}'.");
            target.copy_(parameter);
        }
    }

    /// <summary>
    /// Embeddings N(0, 1); GRU weights and biases U(−1/√H, 1/√H); linear layers U(−1/√fan_in,
    /// 1/√fan_in) (libtorch's defaults), drawn in parameter-name order from <paramref name="rng"/>.
    /// </summary>
    private void Initialize(SeededRandom rng)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (name, parameter) in named_parameters().OrderBy(p => p.name, StringComparer.Ordinal))
        {
            var values = new float[parameter.numel()];
            if (name.EndsWith("Embedding.weight", StringComparison.Ordinal))
            {
                for (int k = 0; k < values.Length; k++) values[k] = (float)rng.NextGaussian();
            }
            else
            {
                double fanIn = name.StartsWith("_gru", StringComparison.Ordinal) ? _sizes.StateHidden : FanIn(name);
                double bound = 1.0 / Math.Sqrt(fanIn);
                for (int k = 0; k < values.Length; k++) values[k] = (float)((2 * rng.NextDouble() - 1) * bound);
            }
            parameter.copy_(tensor(values).reshape(parameter.shape));
        }
    }

    private long FanIn(string parameterName)
    {
        var layer = parameterName[..parameterName.LastIndexOf('.')];
        var weight = named_parameters().First(p => p.name == layer + ".weight").parameter;
        return weight.shape[1];
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _actionFeatures?.Dispose();
            _scalars.Dispose();
        }
        base.Dispose(disposing);
    }
}
