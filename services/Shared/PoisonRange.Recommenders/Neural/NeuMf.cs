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
/// Neural matrix factorisation (NeuMF, He et al. 2017), the NCF instantiation attacked by Huang et
/// al. 2021 (Fig. 1) and one of Tang et al.'s victims: a GMF tower (element-wise product of user and
/// item embeddings) and an MLP tower (ReLU layers over the concatenated user and item embeddings of
/// its own) fused by one output unit, ŷ_ui = σ(wᵀ[p_u ⊙ q_i; MLP(p′_u, q′_i)] + b). Trained on
/// implicit feedback with binary cross-entropy: every observed (user, item) pair is a positive and
/// <see cref="NeuMfOptions.Negatives"/> items drawn uniformly from the user's non-interacted items
/// are negatives, re-drawn each epoch; mini-batch Adam in TorchSharp, from scratch (no GMF/MLP
/// pre-training). The score is the logit of ŷ_ui.
/// </summary>
/// <remarks>
/// <para><b>Fold-in.</b> An unseen history gets user embeddings inferred with every item-side
/// weight fixed: a fixed number of deterministic Adam steps, from the mean training user, on the
/// expectation of the training loss over the negative sampler (see <see cref="NeuMfServingModel"/>).</para>
/// <para><b>Determinism.</b> The initialisation, the pair order and the negatives come from the
/// model's seeded generator, and libtorch runs with <see cref="NeuMfOptions.Threads"/> intra-op
/// threads during <see cref="Fit"/>. After <see cref="Fit"/> or <see cref="Load"/>, scoring runs over
/// plain arrays. A fit that fails or is cancelled leaves the previous model serving.</para>
/// </remarks>
public sealed class NeuMf : IRecommender
{
    public const string KindName = "neumf";
    private const int BodyVersion = 1;

    private volatile NeuMfServingModel? _model;

    public NeuMf(NeuMfOptions? options = null)
    {
        Options = options ?? new NeuMfOptions();
    }

    /// <summary>The settings this model trains with.</summary>
    public NeuMfOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<NeuMfOptions, NeuMf>(
        KindName,
        "neural matrix factorisation, GMF + MLP towers, BCE with sampled negatives (He 2017)",
        options => new NeuMf(options),
        (model, header, reader) => model.LoadBody(header, reader));

    public string Kind => KindName;
    public int ItemCount => _model?.Items ?? 0;
    public int UserCount => _model?.Users ?? 0;

    public void Fit(InteractionDataset train, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ImplicitFeedback.CheckTrainable(train);
        cancellationToken.ThrowIfCancellationRequested();
        var stopwatch = Stopwatch.StartNew();
        var options = Options;
        int users = train.UserCount, items = train.ItemCount, k = options.Negatives;
        var rng = new SeededRandom(options.Seed, BoundedIntegers.Full64Bits);
        var positives = ImplicitFeedback.DistinctPositives(train);
        var (pairUsers, pairItems) = ImplicitFeedback.Pairs(positives, items, train);
        int pairs = pairUsers.Length;
        if ((long)pairs * (1 + k) > int.MaxValue)
            throw new ArgumentException($"{train} has {pairs} pairs; with {k} negatives each that is too many examples.", nameof(train));
        var layers = options.MlpLayerWidths;

        using var threads = new TorchThreads(options.Threads);
        using var network = new NeuMfNetwork(users, items, options.Factors, options.MlpEmbedding, layers, options.L2);
        network.Initialize(rng);
        using var optimizer = new TorchOptimizer(network.parameters(), OptimizerKind.Adam, options.LearningRate);
        network.train();

        var order = new int[pairs];
        for (int t = 0; t < pairs; t++) order[t] = t;
        int examples = pairs * (1 + k);
        var batchUsers = new long[examples];
        var batchItems = new long[examples];
        var labels = new float[examples];
        for (int t = 0; t < examples; t += 1 + k) labels[t] = 1f;

        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rng.Shuffle(order.AsSpan());
            for (int t = 0; t < pairs; t++)
            {
                int pair = order[t], u = pairUsers[pair], at = t * (1 + k);
                batchUsers[at] = u;
                batchItems[at] = pairItems[pair];
                for (int s = 1; s <= k; s++)
                {
                    batchUsers[at + s] = u;
                    batchItems[at + s] = ImplicitFeedback.SampleNegative(rng, positives[u], items);
                }
            }

            double lossSum = 0;
            using (var epochScope = NewDisposeScope())
            {
                var allUsers = tensor(batchUsers);
                var allItems = tensor(batchItems);
                var allLabels = tensor(labels);
                int step = options.BatchSize * (1 + k);
                for (int start = 0; start < examples; start += step)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int length = Math.Min(step, examples - start);
                    using var batchScope = NewDisposeScope();
                    optimizer.ZeroGrad();
                    var loss = network.forward(allUsers.narrow(0, start, length), allItems.narrow(0, start, length), allLabels.narrow(0, start, length));
                    loss.backward();
                    optimizer.Step();
                    lossSum += loss.item<float>() * (double)length;
                }
            }
            progress?.Report(new TrainProgress(epoch + 1, options.Epochs, examples == 0 ? 0 : lossSum / examples, stopwatch.Elapsed));
        }

        network.eval();
        _model = new NeuMfServingModel(users, items, options.Factors, options.MlpEmbedding, network.Export(), ImplicitFeedback.Popularity(train), options);
    }

    public void ScoreUser(int user, Span<float> scores) => RequireModel().ScoreUser(user, scores);

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores) => RequireModel().ScoreHistory(history, scores);

    private NeuMfServingModel RequireModel() => _model ?? throw new InvalidOperationException("NeuMf is not fitted or loaded.");

    /// <summary>The serving form of the fitted or loaded model (for tests and diagnostics).</summary>
    internal NeuMfServingModel ServingModel => RequireModel();

    /// <summary>
    /// Body layout (version 1): int32 users, items, factors, MLP embedding, layer count; user and item
    /// GMF embeddings, user and item MLP embeddings (rows × dimension); the MLP layers (int32 inputs,
    /// outputs, weights outputs × inputs, bias); the output unit's weights and float32 bias; popularity.
    /// </summary>
    public void Save(Stream stream)
    {
        var model = RequireModel();
        var p = model.Parameters;
        using var writer = CheckpointFormat.CreateWriter(stream);
        ModelRegistration.WriteHeader(writer, KindName, BodyVersion, Options);
        writer.Write(model.Users);
        writer.Write(model.Items);
        writer.Write(model.Factors);
        writer.Write(model.MlpEmbedding);
        writer.Write(p.Layers.Length);
        CheckpointFormat.WriteFloats(writer, p.UserGmf);
        CheckpointFormat.WriteFloats(writer, p.ItemGmf);
        CheckpointFormat.WriteFloats(writer, p.UserMlp);
        CheckpointFormat.WriteFloats(writer, p.ItemMlp);
        foreach (var layer in p.Layers) layer.Write(writer);
        CheckpointFormat.WriteFloats(writer, p.OutputWeights);
        writer.Write(p.OutputBias);
        CheckpointFormat.WriteFloats(writer, model.Popularity);
        CheckpointFormat.WriteEnd(writer);
    }

    /// <summary>
    /// Restores the parameters of a checkpoint. The model keeps its own options for later fits; the
    /// fold-in settings come from the checkpoint so that scores match the saved model.
    /// </summary>
    public void Load(Stream stream)
    {
        using var reader = CheckpointFormat.CreateReader(stream);
        var header = CheckpointFormat.ReadHeader(reader, KindName, BodyVersion);
        LoadBody(header, reader);
    }

    private void LoadBody(CheckpointHeader header, BinaryReader reader)
    {
        var saved = CheckpointFormat.SavedOptions(KindName, new NeuMfOptions(), header, ModelRegistration.FactoryArguments);
        int users = CheckpointFormat.ReadDimension(reader, "users");
        int items = CheckpointFormat.ReadDimension(reader, "items");
        int factors = CheckpointFormat.ReadDimension(reader, "factors", 4096);
        int embedding = CheckpointFormat.ReadDimension(reader, "MLP embedding", 4096);
        int layerCount = CheckpointFormat.ReadDimension(reader, "MLP layers", 8);
        if ((long)Math.Max(users, items) * Math.Max(factors, embedding) > int.MaxValue || layerCount < 1)
            throw new InvalidDataException($"Corrupt checkpoint: {users} users, {items} items, {factors} factors, {embedding} MLP dimensions, {layerCount} layers.");
        var userGmf = CheckpointFormat.ReadFloats(reader, users * factors);
        var itemGmf = CheckpointFormat.ReadFloats(reader, items * factors);
        var userMlp = CheckpointFormat.ReadFloats(reader, users * embedding);
        var itemMlp = CheckpointFormat.ReadFloats(reader, items * embedding);
        var layers = new DenseLayer[layerCount];
        int width = 2 * embedding;
        for (int l = 0; l < layerCount; l++)
        {
            int inputs = CheckpointFormat.ReadDimension(reader, "layer inputs", 8192);
            int outputs = CheckpointFormat.ReadDimension(reader, "layer outputs", 4096);
            if (inputs != width || outputs < 1)
                throw new InvalidDataException($"Corrupt checkpoint: MLP layer {l} is {inputs} → {outputs} after a {width}-wide input.");
            var weights = CheckpointFormat.ReadFloats(reader, inputs * outputs);
            var bias = CheckpointFormat.ReadFloats(reader, outputs);
            layers[l] = new DenseLayer(inputs, outputs, weights, bias);
            width = outputs;
        }
        var outputWeights = CheckpointFormat.ReadFloats(reader, factors + width);
        float outputBias = reader.ReadSingle();
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        CheckpointFormat.ReadEnd(reader);
        var parameters = new NeuMfParameters(userGmf, itemGmf, userMlp, itemMlp, layers, outputWeights, outputBias);
        _model = new NeuMfServingModel(users, items, factors, embedding, parameters, popularity, saved);
    }

    /// <summary>Nothing native outlives <see cref="Fit"/>; the serving arrays are managed.</summary>
    public void Dispose() => _model = null;
}
