using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// Variational autoencoder with a multinomial likelihood (Mult-VAE, Liang et al. 2018), one of
/// Tang et al.'s victims (§4.2): a user's 0/1 item vector x is L2-normalised, dropped out (training
/// only) and encoded to q(z|x) = N(μ, diag σ²); the decoder gives multinomial logits over the
/// catalogue. Training maximises the β-weighted ELBO
/// <code>
/// Σ_i x_i log softmax(f(z))_i − β·KL(q(z|x) ‖ N(0, I)),   z = μ + σ ⊙ ε
/// </code>
/// with β annealed linearly from 0 to <see cref="MultVaeOptions.BetaCap"/>, by Adam in TorchSharp.
/// Scoring uses the mean of q(z|x): the scores are the decoder's logits at z = μ.
/// </summary>
/// <remarks>
/// <para><b>Fold-in.</b> The model is inductive: an unseen history is encoded exactly as a training
/// user's row is (distinct items, L2-normalised, no dropout) and decoded, so a user scored through
/// <see cref="ScoreHistory"/> with their training history gets the same scores as through
/// <see cref="ScoreUser"/>. Order and repeats in the history do not matter; an empty history scores
/// by training popularity.</para>
/// <para><b>Determinism.</b> The initialisation, the user order, the dropout masks and the
/// reparameterisation noise all come from the model's seeded generator (none from libtorch's global
/// one), and libtorch runs with <see cref="MultVaeOptions.Threads"/> intra-op threads during
/// <see cref="Fit"/>. Serving runs over plain arrays (<see cref="MultVaeServingModel"/>). A fit that
/// fails or is cancelled leaves the previous model serving.</para>
/// </remarks>
public sealed class MultVae : IRecommender
{
    public const string KindName = "multvae";
    private const int BodyVersion = 1;

    private volatile MultVaeServingModel? _model;

    public MultVae(MultVaeOptions? options = null)
    {
        Options = options ?? new MultVaeOptions();
    }

    /// <summary>The settings this model trains with.</summary>
    public MultVaeOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<MultVaeOptions, MultVae>(
        KindName,
        "variational autoencoder with multinomial likelihood (Liang 2018)",
        options => new MultVae(options),
        (model, header, reader) => model.LoadBody(reader));

    public string Kind => KindName;
    public int ItemCount => _model?.Items ?? 0;
    public int UserCount => _model?.Users ?? 0;

    public void Fit(InteractionDataset train, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ImplicitFeedback.CheckTrainable(train);
        cancellationToken.ThrowIfCancellationRequested();
        var stopwatch = Stopwatch.StartNew();
        var options = Options;
        int items = train.ItemCount, latent = options.LatentDim;
        var rng = new SeededRandom(options.Seed, BoundedIntegers.Full64Bits);
        var positives = ImplicitFeedback.DistinctPositives(train);
        var trainable = Enumerable.Range(0, train.UserCount).Where(u => positives[u].Length > 0).ToArray();
        if ((long)Math.Min(options.BatchSize, trainable.Length) * items > int.MaxValue)
            throw new ArgumentException($"A batch of {options.BatchSize} users × {items} items is too large; lower batchSize.", nameof(train));

        using var threads = new TorchThreads(options.Threads);
        using var network = new MultVaeNetwork(items, options.HiddenDim, latent);
        network.Initialize(rng);
        using var optimizer = new TorchOptimizer(network.parameters(), OptimizerKind.Adam, options.LearningRate, options.L2);
        network.train();

        int batchesPerEpoch = (trainable.Length + options.BatchSize - 1) / options.BatchSize;
        double annealSteps = Math.Max(1, options.AnnealFraction * batchesPerEpoch * (double)options.Epochs);
        long step = 0;
        var buffers = new Dictionary<int, (float[] Input, float[] Target, float[] Noise)>();
        float keep = (float)(1 - options.Dropout);

        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rng.Shuffle(trainable.AsSpan());
            double lossSum = 0;
            for (int start = 0; start < trainable.Length; start += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int size = Math.Min(options.BatchSize, trainable.Length - start);
                if (!buffers.TryGetValue(size, out var buffer))
                    buffers[size] = buffer = (new float[size * items], new float[size * items], new float[size * latent]);
                Array.Clear(buffer.Input);
                Array.Clear(buffer.Target);
                for (int b = 0; b < size; b++)
                {
                    var row = positives[trainable[start + b]];
                    // Liang et al. normalise the row, then apply inverted dropout to the normalised values.
                    float value = 1f / MathF.Sqrt(row.Length) / keep;
                    foreach (var i in row)
                    {
                        buffer.Target[b * items + i] = 1f;
                        if (options.Dropout == 0 || rng.NextDouble() < keep) buffer.Input[b * items + i] = value;
                    }
                }
                for (int k = 0; k < buffer.Noise.Length; k++) buffer.Noise[k] = (float)rng.NextGaussian();
                double beta = options.BetaCap * Math.Min(1.0, step / annealSteps);

                using var scope = NewDisposeScope();
                optimizer.ZeroGrad();
                var loss = network.forward(
                    tensor(buffer.Input).reshape(size, items),
                    tensor(buffer.Target).reshape(size, items),
                    tensor(buffer.Noise).reshape(size, latent),
                    tensor((float)beta));
                loss.backward();
                optimizer.Step();
                lossSum += loss.item<float>() * (double)size;
                step++;
            }
            progress?.Report(new TrainProgress(epoch + 1, options.Epochs, trainable.Length == 0 ? 0 : lossSum / trainable.Length, stopwatch.Elapsed));
        }

        network.eval();
        var (encoder, encoderOut, decoder, decoderOut) = network.Export();
        var mean = new DenseLayer(options.HiddenDim, latent, encoderOut.Weights[..(latent * options.HiddenDim)], encoderOut.Bias[..latent]);
        var codes = MultVaeServingModel.EncodeUsers(positives, items, encoder, mean);
        _model = new MultVaeServingModel(train.UserCount, items, encoder, mean, decoder, decoderOut, codes, ImplicitFeedback.Popularity(train));
    }

    public void ScoreUser(int user, Span<float> scores) => RequireModel().ScoreUser(user, scores);

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores) => RequireModel().ScoreHistory(history, scores);

    private MultVaeServingModel RequireModel() => _model ?? throw new InvalidOperationException("MultVae is not fitted or loaded.");

    /// <summary>The serving form of the fitted or loaded model (for tests and diagnostics).</summary>
    internal MultVaeServingModel ServingModel => RequireModel();

    /// <summary>
    /// Body layout (version 1): int32 users, items, hidden, latent; the layers encoder (items → hidden),
    /// mean (hidden → latent), decoder (latent → hidden), output (hidden → items), each as int32
    /// inputs, outputs, weights (outputs × inputs), bias; user codes (users × latent); popularity (items).
    /// </summary>
    public void Save(Stream stream)
    {
        var model = RequireModel();
        using var writer = CheckpointFormat.CreateWriter(stream);
        ModelRegistration.WriteHeader(writer, KindName, BodyVersion, Options);
        writer.Write(model.Users);
        writer.Write(model.Items);
        writer.Write(model.Hidden);
        writer.Write(model.Latent);
        model.Encoder.Write(writer);
        model.Mean.Write(writer);
        model.Decoder.Write(writer);
        model.DecoderOut.Write(writer);
        CheckpointFormat.WriteFloats(writer, model.UserCodes);
        CheckpointFormat.WriteFloats(writer, model.Popularity);
        CheckpointFormat.WriteEnd(writer);
    }

    /// <summary>Restores the parameters of a checkpoint; the model keeps its own options for later fits.</summary>
    public void Load(Stream stream)
    {
        using var reader = CheckpointFormat.CreateReader(stream);
        CheckpointFormat.ReadHeader(reader, KindName, BodyVersion);
        LoadBody(reader);
    }

    private void LoadBody(BinaryReader reader)
    {
        int users = CheckpointFormat.ReadDimension(reader, "users");
        int items = CheckpointFormat.ReadDimension(reader, "items");
        int hidden = CheckpointFormat.ReadDimension(reader, "hidden", 8192);
        int latent = CheckpointFormat.ReadDimension(reader, "latent", 4096);
        if ((long)users * latent > int.MaxValue)
            throw new InvalidDataException($"Corrupt checkpoint: {users} users × {latent} latent dimensions.");
        var encoder = DenseLayer.Read(reader, items, hidden, "encoder");
        var mean = DenseLayer.Read(reader, hidden, latent, "mean");
        var decoder = DenseLayer.Read(reader, latent, hidden, "decoder");
        var decoderOut = DenseLayer.Read(reader, hidden, items, "output");
        var codes = CheckpointFormat.ReadFloats(reader, users * latent);
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        CheckpointFormat.ReadEnd(reader);
        _model = new MultVaeServingModel(users, items, encoder, mean, decoder, decoderOut, codes, popularity);
    }

    /// <summary>Nothing native outlives <see cref="Fit"/>; the serving arrays are managed.</summary>
    public void Dispose() => _model = null;
}
