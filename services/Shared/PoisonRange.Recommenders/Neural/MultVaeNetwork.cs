using PoisonRange.Data;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// The trainable part of Mult-VAE: q(z|x) = N(μ, diag σ²) with [μ, log σ²] = W₂ tanh(W₁ x + b₁) + b₂,
/// and logits W₄ tanh(W₃ z + b₃) + b₄ of the multinomial p(x|z). <see cref="forward"/> takes the
/// (normalised, dropped-out) input, the raw interaction rows, the noise ε and β, and returns the
/// batch's mean negative ELBO −E[log p(x|z)] + β·KL(q(z|x) ‖ N(0, I)).
/// </summary>
internal sealed class MultVaeNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly Linear _encoder;
    private readonly Linear _encoderOut;
    private readonly Linear _decoder;
    private readonly Linear _decoderOut;
    private readonly int _latent;
    private readonly ScalarCache _scalars = new();

    public MultVaeNetwork(int items, int hidden, int latent) : base(nameof(MultVaeNetwork))
    {
        _encoder = nn.Linear(items, hidden);
        _encoderOut = nn.Linear(hidden, 2L * latent);
        _decoder = nn.Linear(latent, hidden);
        _decoderOut = nn.Linear(hidden, items);
        _latent = latent;
        RegisterComponents();
    }

    /// <param name="input">batch × items: the L2-normalised interaction rows after dropout.</param>
    /// <param name="target">batch × items: the raw 0/1 interaction rows.</param>
    /// <param name="noise">batch × latent standard normal draws for the reparameterisation.</param>
    /// <param name="beta">A scalar tensor: the current KL weight.</param>
    public override Tensor forward(Tensor input, Tensor target, Tensor noise, Tensor beta)
    {
        var h = _encoder.forward(input).tanh();
        var stats = _encoderOut.forward(h);
        var mu = stats.narrow(1, 0, _latent);
        var logVar = stats.narrow(1, _latent, _latent);
        // Explicit scalars (see ScalarCache).
        Scalar one = _scalars.One, minusOne = _scalars.MinusOne;
        var z = mu.add(noise.mul(logVar.mul(_scalars[0.5]).exp()), one);
        var logits = _decoderOut.forward(_decoder.forward(z).tanh());
        var logLikelihood = (logits.log_softmax(1) * target).sum(1).mean();
        var kl = logVar.exp().add(mu.mul(mu), one).add(_scalars.One, minusOne).add(logVar, minusOne).mul(_scalars[0.5]).sum(1).mean();
        return logLikelihood.neg().add(beta.mul(kl), one);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _scalars.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Sets the weights (Glorot uniform) and biases (normal, std 0.001) from seeded arrays, as Liang et al. initialise.</summary>
    public void Initialize(SeededRandom rng)
    {
        foreach (var layer in new[] { _encoder, _encoderOut, _decoder, _decoderOut })
        {
            int outputs = (int)layer.weight!.shape[0], inputs = (int)layer.weight!.shape[1];
            NeuralTraining.Assign(layer.weight!, NeuralTraining.GlorotUniform(rng, outputs, inputs));
            NeuralTraining.Assign(layer.bias!, ImplicitFeedback.Normal(rng, outputs, 0.001));
        }
    }

    /// <summary>The four layers as row-major arrays (weights out × in).</summary>
    public (DenseLayer Encoder, DenseLayer EncoderOut, DenseLayer Decoder, DenseLayer DecoderOut) Export()
        => (ToDense(_encoder), ToDense(_encoderOut), ToDense(_decoder), ToDense(_decoderOut));

    private static DenseLayer ToDense(Linear layer)
        => new((int)layer.weight!.shape[1], (int)layer.weight!.shape[0], NeuralTraining.Export(layer.weight!), NeuralTraining.Export(layer.bias!));
}
