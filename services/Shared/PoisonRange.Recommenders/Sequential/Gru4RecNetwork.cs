using PoisonRange.Data;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// The trainable part of GRU4Rec: item embedding → dropout → one GRU layer → dropout → scores
/// against output item embeddings plus an output bias. <see cref="forward"/> takes a padded batch
/// of windows (batch × steps item ids), the flat indices (row · steps + step) of the real
/// positions and the next item at each, and returns the mean cross-entropy over the catalogue.
/// Dropout masks come from the network's own seeded generator.
/// </summary>
internal sealed class Gru4RecNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Embedding _embedding;
    private readonly GRU _gru;
    private readonly Embedding _output;
    private readonly Embedding _outputBias;
    private readonly double _dropout;
    private readonly int _hidden;
    private readonly Generator _generator;
    private readonly ScalarCache _scalars = new();

    public Gru4RecNetwork(int items, int embeddingSize, int hiddenSize, double dropout, ulong seed)
        : base(nameof(Gru4RecNetwork))
    {
        _embedding = nn.Embedding(items, embeddingSize);
        _gru = nn.GRU(embeddingSize, hiddenSize, batchFirst: true);
        _output = nn.Embedding(items, hiddenSize);
        _outputBias = nn.Embedding(items, 1);
        _dropout = dropout;
        _hidden = hiddenSize;
        _generator = new Generator(seed, CPU);
        RegisterComponents();
    }

    public override Tensor forward(Tensor inputs, Tensor positions, Tensor targets)
    {
        var x = Dropout(_embedding.forward(inputs));
        var (output, _) = _gru.forward(x);
        var flat = Dropout(output.reshape(-1, _hidden).index_select(0, positions));
        var logits = flat.matmul(_output.weight!.t()).add(_outputBias.weight!.squeeze(1), _scalars.One);
        return nn.functional.cross_entropy(logits, targets);
    }

    private Tensor Dropout(Tensor x)
    {
        if (!training || _dropout <= 0) return x;
        // Explicit scalars (see ScalarCache).
        var keep = rand(x.shape, generator: _generator).ge_(_scalars[_dropout]).to_type(x.dtype).mul_(_scalars[1.0 / (1.0 - _dropout)]);
        return x.mul(keep);
    }

    /// <summary>
    /// Seeded initialisation: embeddings N(0, 1), GRU weights and biases and output weights
    /// U(−1/√H, 1/√H), output bias 0 (libtorch's own defaults, drawn from <paramref name="rng"/>).
    /// </summary>
    public void Initialize(SeededRandom rng)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        double bound = 1.0 / Math.Sqrt(_hidden);
        void Fill(Tensor weight, Func<double> draw)
        {
            var values = new float[weight.numel()];
            for (int k = 0; k < values.Length; k++) values[k] = (float)draw();
            weight.copy_(tensor(values).reshape(weight.shape));
        }
        Fill(_embedding.weight!, rng.NextGaussian);
        foreach (var (_, parameter) in _gru.named_parameters().OrderBy(p => p.name, StringComparer.Ordinal))
            Fill(parameter, () => (2 * rng.NextDouble() - 1) * bound);
        Fill(_output.weight!, () => (2 * rng.NextDouble() - 1) * bound);
        _outputBias.weight!.zero_();
    }

    /// <summary>
    /// The trained parameters in serving form: the input table (items × 3H: each item's embedding
    /// through the GRU's input weights plus their bias, gates in libtorch's r, z, n order), the
    /// recurrent weights (3H × H) and bias (3H), the output embeddings (items × H) and bias.
    /// </summary>
    public (float[] InputTable, float[] RecurrentWeights, float[] RecurrentBias, float[] OutputWeights, float[] OutputBias) Export()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var gru = _gru.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        static float[] Copy(Tensor t) => t.detach().contiguous().data<float>().ToArray();
        var inputTable = _embedding.weight!.matmul(gru["weight_ih_l0"].t()).add(gru["bias_ih_l0"], _scalars.One);
        return (Copy(inputTable), Copy(gru["weight_hh_l0"]), Copy(gru["bias_hh_l0"]), Copy(_output.weight!), Copy(_outputBias.weight!.squeeze(1)));
    }

    /// <summary>The GRU's final hidden state for each row of a batch of equal-length sequences (tests compare the serving forward with it).</summary>
    public float[] FinalStates(long[,] sequences)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (_, last) = _gru.forward(_embedding.forward(tensor(sequences)));
        return last.squeeze(0).contiguous().data<float>().ToArray();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _generator.Dispose();
            _scalars.Dispose();
        }
        base.Dispose(disposing);
    }
}
