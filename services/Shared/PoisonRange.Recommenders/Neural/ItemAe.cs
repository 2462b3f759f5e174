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
/// The item-based autoencoder of Tang et al. 2020 (§3.3, Fig. 2b; "ItemAE"): each item's column
/// x_i ∈ {0,1}^|U| of the interaction matrix (which users interacted with it) is encoded to a
/// low-dimensional code and decoded back to a reconstruction r_i over the users,
/// [|U| → 256 → 128 → 256 → |U|] by default, tanh hidden layers and a linear output, trained with
/// the weighted squared error Σ_u w_ui (x_ui − r_ui)² (w = <see cref="ItemAeOptions.PositiveWeight"/>
/// on observed entries, 1 elsewhere) by Adam in TorchSharp. The score of item i for user u is the
/// reconstructed entry r_ui = p_u·h_i + c_u, where h_i is the item's last hidden layer and (p_u, c_u)
/// user u's output unit; as Tang et al. note, this is a factorisation whose item factors are
/// computed from the data, which makes the model's predictions differentiable in the data.
/// </summary>
/// <remarks>
/// <para><b>Input orientation.</b> Tang et al. concatenate the normal and fake data of item i,
/// x_i⁺ = [x_i; x̂_i], and encode that: the autoencoder's input is an item's vector over users,
/// not a user's vector over items (that is Mult-VAE's and AutoRec's user-based variant).</para>
/// <para><b>Fold-in.</b> A new user adds an input dimension the encoder has no weights for, so
/// without retraining the item codes stay fixed; the new user's output unit is then the exact
/// minimiser of the training loss restricted to it, a weighted ridge least-squares solve
/// (see <see cref="ItemAeServingModel"/>). Order and repeats in the history do not matter; an empty
/// history scores by training popularity.</para>
/// <para><b>Determinism.</b> The initialisation and the item order come from the model's seeded
/// generator and libtorch runs with <see cref="ItemAeOptions.Threads"/> intra-op threads during
/// <see cref="Fit"/>. After <see cref="Fit"/> or <see cref="Load"/> scoring runs over plain arrays.
/// A fit that fails or is cancelled leaves the previous model serving.</para>
/// </remarks>
public sealed class ItemAe : IRecommender
{
    public const string KindName = "itemae";
    private const int BodyVersion = 1;

    private volatile ItemAeServingModel? _model;

    public ItemAe(ItemAeOptions? options = null)
    {
        Options = options ?? new ItemAeOptions();
    }

    /// <summary>The settings this model trains with.</summary>
    public ItemAeOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<ItemAeOptions, ItemAe>(
        KindName,
        "item-based autoencoder over item columns, weighted squared error (Tang 2020)",
        options => new ItemAe(options),
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
        int users = train.UserCount, items = train.ItemCount, hidden = options.HiddenDim;
        if ((long)users * items > int.MaxValue)
            throw new ArgumentException($"{train} is too large for a dense {items} × {users} item-user matrix.", nameof(train));
        var rng = new SeededRandom(options.Seed, BoundedIntegers.Full64Bits);

        // The transposed interaction matrix, items × users, 0/1.
        var columns = new float[items * users];
        for (int u = 0; u < users; u++)
            foreach (var i in train.Sequences[u])
                columns[i * users + u] = 1f;

        using var threads = new TorchThreads(options.Threads);
        using var network = new ItemAeNetwork(users, hidden, options.LatentDim, options.PositiveWeight);
        network.Initialize(rng);
        long plannedSteps = (long)options.Epochs * ((items + options.BatchSize - 1) / options.BatchSize);
        using var optimizer = new TorchOptimizer(network.parameters(), OptimizerKind.Adam, options.LearningRate, options.L2,
            options.FinalLearningRateFactor, plannedSteps);
        network.train();

        var order = new long[items];
        float[] codes;
        using (var data = tensor(columns).reshape(items, users))
        {
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                for (int i = 0; i < items; i++) order[i] = i;
                rng.Shuffle(order.AsSpan());
                double lossSum = 0;
                using (var epochScope = NewDisposeScope())
                {
                    var shuffled = tensor(order);
                    for (int start = 0; start < items; start += options.BatchSize)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        int size = Math.Min(options.BatchSize, items - start);
                        using var batchScope = NewDisposeScope();
                        optimizer.ZeroGrad();
                        var loss = network.forward(data.index_select(0, shuffled.narrow(0, start, size)));
                        loss.backward();
                        optimizer.Step();
                        lossSum += loss.item<float>() * (double)size;
                    }
                }
                progress?.Report(new TrainProgress(epoch + 1, options.Epochs, lossSum / items, stopwatch.Elapsed));
            }

            network.eval();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            codes = network.Codes(data).contiguous().data<float>().ToArray();
        }
        var (userWeights, userBias) = network.ExportOutput();
        _model = new ItemAeServingModel(users, items, hidden, codes, userWeights, userBias, ImplicitFeedback.Popularity(train),
            options.PositiveWeight, options.FoldInL2);
    }

    public void ScoreUser(int user, Span<float> scores) => RequireModel().ScoreUser(user, scores);

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores) => RequireModel().ScoreHistory(history, scores);

    private ItemAeServingModel RequireModel() => _model ?? throw new InvalidOperationException("ItemAe is not fitted or loaded.");

    /// <summary>The serving form of the fitted or loaded model (for tests and diagnostics).</summary>
    internal ItemAeServingModel ServingModel => RequireModel();

    /// <summary>
    /// Body layout (version 1): int32 users, items, hidden; item codes (items × hidden), user output
    /// weights (users × hidden), user output biases (users), popularity (items).
    /// </summary>
    public void Save(Stream stream)
    {
        var model = RequireModel();
        using var writer = CheckpointFormat.CreateWriter(stream);
        ModelRegistration.WriteHeader(writer, KindName, BodyVersion, Options);
        writer.Write(model.Users);
        writer.Write(model.Items);
        writer.Write(model.Hidden);
        CheckpointFormat.WriteFloats(writer, model.ItemCodes);
        CheckpointFormat.WriteFloats(writer, model.UserWeights);
        CheckpointFormat.WriteFloats(writer, model.UserBias);
        CheckpointFormat.WriteFloats(writer, model.Popularity);
        CheckpointFormat.WriteEnd(writer);
    }

    /// <summary>
    /// Restores the parameters of a checkpoint. The model keeps its own options for later fits; the
    /// fold-in's positive weight and ridge come from the checkpoint so that scores match the saved model.
    /// </summary>
    public void Load(Stream stream)
    {
        using var reader = CheckpointFormat.CreateReader(stream);
        var header = CheckpointFormat.ReadHeader(reader, KindName, BodyVersion);
        LoadBody(header, reader);
    }

    private void LoadBody(CheckpointHeader header, BinaryReader reader)
    {
        int users = CheckpointFormat.ReadDimension(reader, "users");
        int items = CheckpointFormat.ReadDimension(reader, "items");
        int hidden = CheckpointFormat.ReadDimension(reader, "hidden", 4096);
        if ((long)users * hidden > int.MaxValue || (long)items * hidden > int.MaxValue)
            throw new InvalidDataException($"Corrupt checkpoint: {users} users × {items} items × {hidden} hidden units.");
        var codes = CheckpointFormat.ReadFloats(reader, items * hidden);
        var weights = CheckpointFormat.ReadFloats(reader, users * hidden);
        var bias = CheckpointFormat.ReadFloats(reader, users);
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        CheckpointFormat.ReadEnd(reader);
        var saved = CheckpointFormat.SavedOptions(KindName, new ItemAeOptions(), header, ModelRegistration.FactoryArguments);
        _model = new ItemAeServingModel(users, items, hidden, codes, weights, bias, popularity, saved.PositiveWeight, saved.FoldInL2);
    }

    /// <summary>Nothing native outlives <see cref="Fit"/>; the serving arrays are managed.</summary>
    public void Dispose() => _model = null;
}
