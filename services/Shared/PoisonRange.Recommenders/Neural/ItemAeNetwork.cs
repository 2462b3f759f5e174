using PoisonRange.Data;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using PoisonRange.Recommenders.Sequential;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// The trainable part of ItemAE: an autoencoder over item columns x_i ∈ {0,1}^|U| of the
/// interaction matrix, h_i = tanh(W₃ tanh(W₂ tanh(W₁ x_i + b₁) + b₂) + b₃) and the linear
/// reconstruction r_i = P h_i + c, whose row u (p_u, c_u) is user u's output unit.
/// <see cref="forward"/> returns the batch's mean weighted squared error Σ_u w_ui (x_ui − r_ui)².
/// </summary>
internal sealed class ItemAeNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Linear _encoder;
    private readonly Linear _bottleneck;
    private readonly Linear _decoder;
    private readonly Linear _output;
    private readonly double _positiveWeight;
    private readonly ScalarCache _scalars = new();

    public ItemAeNetwork(int users, int hidden, int latent, double positiveWeight) : base(nameof(ItemAeNetwork))
    {
        _encoder = nn.Linear(users, hidden);
        _bottleneck = nn.Linear(hidden, latent);
        _decoder = nn.Linear(latent, hidden);
        _output = nn.Linear(hidden, users);
        _positiveWeight = positiveWeight;
        RegisterComponents();
    }

    /// <param name="columns">batch × users: 0/1 item columns.</param>
    public override Tensor forward(Tensor columns)
    {
        var reconstruction = _output.forward(Codes(columns));
        // Explicit scalars (see ScalarCache).
        var weights = columns.mul(_scalars[_positiveWeight - 1]).add(_scalars.One, _scalars.One);
        var error = columns - reconstruction;
        return weights.mul(error).mul(error).sum(1).mean();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _scalars.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>The items' codes h_i (batch × hidden), the input of the output layer.</summary>
    public Tensor Codes(Tensor columns)
        => _decoder.forward(_bottleneck.forward(_encoder.forward(columns).tanh()).tanh()).tanh();

    /// <summary>Seeded initialisation with libtorch's default for linear layers: weights and biases uniform in ±1/√fan_in.</summary>
    public void Initialize(SeededRandom rng)
    {
        foreach (var layer in new[] { _encoder, _bottleneck, _decoder, _output })
        {
            int outputs = (int)layer.weight!.shape[0], inputs = (int)layer.weight!.shape[1];
            double bound = 1 / Math.Sqrt(inputs);
            NeuralTraining.Assign(layer.weight!, NeuralTraining.Uniform(rng, checked(outputs * inputs), bound));
            NeuralTraining.Assign(layer.bias!, NeuralTraining.Uniform(rng, outputs, bound));
        }
    }

    /// <summary>The output layer: users × hidden weights (row u is p_u) and the users' biases c_u.</summary>
    public (float[] Weights, float[] Bias) ExportOutput() => (NeuralTraining.Export(_output.weight!), NeuralTraining.Export(_output.bias!));
}
