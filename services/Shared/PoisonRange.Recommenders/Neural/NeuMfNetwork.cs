using PoisonRange.Data;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// The trainable part of NeuMF (He et al. 2017; Huang et al. Fig. 1): GMF embeddings (p_u, q_i)
/// combined by the element-wise product, MLP embeddings (p′_u, q′_i) concatenated and passed
/// through ReLU layers, and one output unit over [p_u ⊙ q_i; MLP(p′_u, q′_i)] giving the logit of
/// ŷ_ui. <see cref="forward"/> returns the batch's mean binary cross-entropy plus the L2 penalty.
/// </summary>
internal sealed class NeuMfNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Embedding _userGmf;
    private readonly Embedding _itemGmf;
    private readonly Embedding _userMlp;
    private readonly Embedding _itemMlp;
    private readonly ModuleList<Linear> _layers;
    private readonly Linear _output;
    private readonly double _l2;
    private readonly ScalarCache _scalars = new();

    public NeuMfNetwork(int users, int items, int factors, int mlpEmbedding, IReadOnlyList<int> layers, double l2)
        : base(nameof(NeuMfNetwork))
    {
        _userGmf = nn.Embedding(users, factors);
        _itemGmf = nn.Embedding(items, factors);
        _userMlp = nn.Embedding(users, mlpEmbedding);
        _itemMlp = nn.Embedding(items, mlpEmbedding);
        var linear = new Linear[layers.Count];
        int width = 2 * mlpEmbedding;
        for (int l = 0; l < layers.Count; l++)
        {
            linear[l] = nn.Linear(width, layers[l]);
            width = layers[l];
        }
        _layers = nn.ModuleList(linear);
        _output = nn.Linear(factors + width, 1);
        _l2 = l2;
        RegisterComponents();
    }

    /// <summary>The logits of (users[k], items[k]).</summary>
    public Tensor Logits(Tensor users, Tensor items, out Tensor penalty)
    {
        var pu = _userGmf.forward(users);
        var qi = _itemGmf.forward(items);
        var pm = _userMlp.forward(users);
        var qm = _itemMlp.forward(items);
        var mlp = cat([pm, qm], 1);
        foreach (var layer in _layers) mlp = layer.forward(mlp).relu();
        Scalar one = _scalars.One;
        penalty = SquaredNorm(pu).add(SquaredNorm(qi), one).add(SquaredNorm(pm), one).add(SquaredNorm(qm), one);
        return _output.forward(cat([pu * qi, mlp], 1)).squeeze(1);
    }

    private static Tensor SquaredNorm(Tensor t) => t.mul(t).sum();

    /// <summary>mean BCE(σ(logit), label) + λ · mean over the batch of the touched embeddings' squared norms.</summary>
    public override Tensor forward(Tensor users, Tensor items, Tensor labels)
    {
        var logits = Logits(users, items, out var penalty);
        long batch = users.shape[0];
        return nn.functional.binary_cross_entropy_with_logits(logits, labels).add(penalty, _scalars[_l2 / batch]);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _scalars.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>
    /// He et al.'s initialisation from the seeded generator: embeddings N(0, 0.01²), hidden layers
    /// Glorot uniform, the output unit LeCun uniform, biases zero.
    /// </summary>
    public void Initialize(SeededRandom rng)
    {
        foreach (var embedding in new[] { _userGmf, _itemGmf, _userMlp, _itemMlp })
            NeuralTraining.Assign(embedding.weight!, ImplicitFeedback.Normal(rng, (int)embedding.weight!.numel(), 0.01));
        foreach (var layer in _layers)
        {
            NeuralTraining.Assign(layer.weight!, NeuralTraining.GlorotUniform(rng, (int)layer.weight!.shape[0], (int)layer.weight!.shape[1]));
            NeuralTraining.Assign(layer.bias!, new float[layer.bias!.shape[0]]);
        }
        int fanIn = (int)_output.weight!.shape[1];
        NeuralTraining.Assign(_output.weight!, NeuralTraining.Uniform(rng, fanIn, Math.Sqrt(3.0 / fanIn)));
        NeuralTraining.Assign(_output.bias!, new float[1]);
    }

    /// <summary>The trained parameters as row-major arrays.</summary>
    public NeuMfParameters Export() => new(
        NeuralTraining.Export(_userGmf.weight!),
        NeuralTraining.Export(_itemGmf.weight!),
        NeuralTraining.Export(_userMlp.weight!),
        NeuralTraining.Export(_itemMlp.weight!),
        _layers.Select(l => new DenseLayer((int)l.weight!.shape[1], (int)l.weight!.shape[0], NeuralTraining.Export(l.weight!), NeuralTraining.Export(l.bias!))).ToArray(),
        NeuralTraining.Export(_output.weight!),
        NeuralTraining.Export(_output.bias!)[0]);
}

/// <summary>NeuMF's parameters: embeddings (rows × dimension, row-major), the MLP layers and the output unit.</summary>
internal sealed record NeuMfParameters(
    float[] UserGmf,
    float[] ItemGmf,
    float[] UserMlp,
    float[] ItemMlp,
    DenseLayer[] Layers,
    float[] OutputWeights,
    float OutputBias);
