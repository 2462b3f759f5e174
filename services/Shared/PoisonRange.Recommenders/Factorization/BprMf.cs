using System.Diagnostics;
using System.Globalization;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Factorization;

/// <summary>
/// Matrix factorisation trained with Bayesian Personalized Ranking (Rendle et al. 2009): for
/// every observed (user, item) pair per epoch, a negative item is drawn uniformly from the items
/// the user has not interacted with, and the model maximises ln σ(s(u,i) − s(u,j)) with
/// s(u,i) = p_u·q_i + b_i, L2-regularised, by mini-batch Adam or SGD in TorchSharp.
/// </summary>
/// <remarks>
/// Training is reproducible: the embeddings are initialised, the pairs shuffled and the negatives
/// drawn from the model's own seeded generator, and libtorch runs with <see cref="BprMfOptions.Threads"/>
/// intra-op threads (a process-wide libtorch setting, set for the duration of <see cref="Fit"/>).
/// After <see cref="Fit"/> or <see cref="Load"/>, the parameters live in plain arrays
/// (<see cref="FactorServingModel"/>) and scoring never touches TorchSharp. A fit that fails or is
/// cancelled leaves the previous model serving.
/// </remarks>
public sealed class BprMf : IRecommender
{
    public const string KindName = "bprmf";
    private const int BodyVersion = 1;
    private static readonly string[] FactoryArguments = [nameof(BprMfOptions.Seed), nameof(BprMfOptions.Threads)];

    private volatile FactorServingModel? _model;

    public BprMf(BprMfOptions? options = null)
    {
        Options = options ?? new BprMfOptions();
    }

    /// <summary>The settings this model trains with.</summary>
    public BprMfOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = new(
        KindName,
        "matrix factorisation trained with the BPR pairwise loss (Rendle 2009)",
        OptionsBinder.NamesOf<BprMfOptions>(FactoryArguments),
        (hyperParameters, seed, threads) =>
        {
            var options = OptionsBinder.Bind(KindName, new BprMfOptions(), hyperParameters, FactoryArguments) with { Seed = seed, Threads = threads };
            return new BprMf(options);
        },
        (header, reader, threads) =>
        {
            var options = OptionsBinder.Bind(KindName, new BprMfOptions(), header.HyperParameters, FactoryArguments) with { Seed = header.Seed, Threads = threads };
            var model = new BprMf(options);
            model.LoadBody(header, reader);
            return model;
        });

    public string Kind => KindName;
    public int ItemCount => _model?.Items ?? 0;
    public int UserCount => _model?.Users ?? 0;

    /// <summary>The latent dimension of the trained or loaded model (0 before).</summary>
    public int Factors => _model?.Factors ?? 0;

    /// <summary>The fold-in target margin learned from the training users (see <see cref="FactorServingModel"/>).</summary>
    public float FoldInMargin => _model?.FoldInMargin ?? 0;

    /// <summary>A copy of user <paramref name="user"/>'s factor vector.</summary>
    public float[] GetUserVector(int user)
    {
        var model = RequireModel();
        if ((uint)user >= (uint)model.Users)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{model.Users - 1}.");
        return model.UserFactors.AsSpan(user * model.Factors, model.Factors).ToArray();
    }

    /// <summary>Writes the folded-in user vector of an unseen history; false (and zeros) when the history is empty.</summary>
    public bool FoldIn(ReadOnlySpan<int> history, Span<float> userVector)
    {
        var model = RequireModel();
        if (userVector.Length != model.Factors)
            throw new ArgumentException($"The vector has {userVector.Length} entries; the model has {model.Factors} factors.", nameof(userVector));
        foreach (var item in history)
            if ((uint)item >= (uint)model.Items)
                throw new ArgumentOutOfRangeException(nameof(history), item, $"History item {item} is outside 0..{model.Items - 1}.");
        if (model.FoldIn(history, userVector)) return true;
        userVector.Clear();
        return false;
    }

    public void Fit(InteractionDataset train, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.ItemCount == 0 || train.UserCount == 0)
            throw new ArgumentException($"Cannot train on {train}: it needs at least one user and one item.", nameof(train));
        cancellationToken.ThrowIfCancellationRequested();

        var stopwatch = Stopwatch.StartNew();
        var options = Options;
        int users = train.UserCount, items = train.ItemCount, d = options.Factors;
        var rng = new SeededRandom(options.Seed, BoundedIntegers.Full64Bits);

        // Distinct positives per user, sorted for the negative sampler's membership test.
        var positives = new int[users][];
        long pairCount = 0;
        for (int u = 0; u < users; u++)
        {
            var distinct = train.Sequences[u].Distinct().ToArray();
            Array.Sort(distinct);
            positives[u] = distinct;
            if (distinct.Length < items) pairCount += distinct.Length; // a user who has everything has no negatives
        }
        if (pairCount > int.MaxValue)
            throw new ArgumentException($"{train} has {pairCount} distinct pairs; at most {int.MaxValue} are supported.", nameof(train));
        var pairUsers = new int[pairCount];
        var pairItems = new int[pairCount];
        {
            int t = 0;
            for (int u = 0; u < users; u++)
            {
                if (positives[u].Length >= items) continue;
                foreach (var i in positives[u])
                {
                    pairUsers[t] = u;
                    pairItems[t] = i;
                    t++;
                }
            }
        }

        var initialUsers = new float[users * d];
        var initialItems = new float[items * d];
        for (int k = 0; k < initialUsers.Length; k++) initialUsers[k] = (float)(rng.NextGaussian() * options.InitStd);
        for (int k = 0; k < initialItems.Length; k++) initialItems[k] = (float)(rng.NextGaussian() * options.InitStd);

        int previousThreads = torch.get_num_threads();
        torch.set_num_threads(options.Threads);
        try
        {
            using var network = new BprMfNetwork(users, items, d, options.UseItemBias, options.L2);
            network.Initialize(initialUsers, initialItems);
            int pairs = (int)pairCount;
            long plannedSteps = (long)options.Epochs * ((pairs + options.BatchSize - 1) / options.BatchSize);
            using var optimizer = new TorchOptimizer(network.parameters(), options.Optimizer, options.LearningRate,
                finalLearningRateFactor: options.FinalLearningRateFactor, plannedSteps: plannedSteps);
            network.train();

            var order = new int[pairs];
            for (int t = 0; t < pairs; t++) order[t] = t;
            var batchUsers = new long[pairs];
            var batchPositives = new long[pairs];
            var batchNegatives = new long[pairs];

            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                rng.Shuffle(order.AsSpan());
                for (int t = 0; t < pairs; t++)
                {
                    int pair = order[t];
                    int u = pairUsers[pair];
                    batchUsers[t] = u;
                    batchPositives[t] = pairItems[pair];
                    batchNegatives[t] = SampleNegative(rng, positives[u], items);
                }

                double lossSum = 0;
                using (var epochScope = NewDisposeScope())
                {
                    var allUsers = tensor(batchUsers);
                    var allPositives = tensor(batchPositives);
                    var allNegatives = tensor(batchNegatives);
                    for (int start = 0; start < pairs; start += options.BatchSize)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        int length = Math.Min(options.BatchSize, pairs - start);
                        using var batchScope = NewDisposeScope();
                        optimizer.ZeroGrad();
                        var loss = network.forward(
                            allUsers.narrow(0, start, length),
                            allPositives.narrow(0, start, length),
                            allNegatives.narrow(0, start, length));
                        loss.backward();
                        optimizer.Step();
                        lossSum += loss.item<float>() * (double)length;
                    }
                }
                progress?.Report(new TrainProgress(epoch + 1, options.Epochs, pairs == 0 ? 0 : lossSum / pairs, stopwatch.Elapsed));
            }

            network.eval();
            var (userFactors, itemFactors, itemBias) = network.Export();
            var counts = train.ItemPopularity();
            var popularity = new float[items];
            for (int i = 0; i < items; i++) popularity[i] = counts[i];
            float margin = FactorServingModel.MeanTrainingMargin(users, items, d, userFactors, itemFactors, itemBias, positives);
            // An untrained (or degenerate) model has no meaningful margin; keep fold-in oriented.
            margin = MathF.Max(margin, 1e-3f);
            _model = new FactorServingModel(users, items, d, userFactors, itemFactors, itemBias, popularity, margin, options.FoldInL2);
        }
        finally
        {
            torch.set_num_threads(previousThreads);
        }
    }

    /// <summary>A uniform draw from the items not in <paramref name="positives"/> (sorted, fewer than <paramref name="items"/>).</summary>
    private static int SampleNegative(SeededRandom rng, int[] positives, int items)
    {
        // Rejection is fast for the usual sparse user; dense users fall back to an exact draw.
        for (int attempt = 0; attempt < 16; attempt++)
        {
            int candidate = rng.Next(items);
            if (Array.BinarySearch(positives, candidate) < 0) return candidate;
        }
        int rank = rng.Next(items - positives.Length);
        int j = rank;
        foreach (var p in positives)
        {
            if (p <= j) j++;
            else break;
        }
        return j;
    }

    public void ScoreUser(int user, Span<float> scores) => RequireModel().ScoreUser(user, scores);

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores) => RequireModel().ScoreHistory(history, scores);

    private FactorServingModel RequireModel() => _model ?? throw new InvalidOperationException("BprMf is not fitted or loaded.");

    /// <summary>The serving parameters (the differentiable view in Influence/ rebuilds its tensors from them).</summary>
    internal FactorServingModel ServingModel => RequireModel();

    /// <summary>
    /// Body layout (version 1): int32 users, items, factors; byte hasBias; float32 fold-in margin;
    /// user factors (users × d), item factors (items × d), [item bias (items)], popularity (items).
    /// </summary>
    public void Save(Stream stream)
    {
        var model = RequireModel();
        using var writer = CheckpointFormat.CreateWriter(stream);
        var hyperParameters = OptionsBinder.ToDictionary(Options, FactoryArguments);
        CheckpointFormat.WriteHeader(writer, new CheckpointHeader(KindName, BodyVersion, Options.Seed, hyperParameters));
        writer.Write(model.Users);
        writer.Write(model.Items);
        writer.Write(model.Factors);
        writer.Write(model.ItemBias is not null);
        writer.Write(model.FoldInMargin);
        CheckpointFormat.WriteFloats(writer, model.UserFactors);
        CheckpointFormat.WriteFloats(writer, model.ItemFactors);
        if (model.ItemBias is not null) CheckpointFormat.WriteFloats(writer, model.ItemBias);
        CheckpointFormat.WriteFloats(writer, model.Popularity);
        CheckpointFormat.WriteEnd(writer);
    }

    /// <summary>
    /// Restores the parameters of a checkpoint. The model keeps its own options for later fits;
    /// the fold-in strength comes from the checkpoint so that scores match the saved model.
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
        int factors = CheckpointFormat.ReadDimension(reader, "factors", 4096);
        if ((long)users * factors > int.MaxValue || (long)items * factors > int.MaxValue)
            throw new InvalidDataException($"Corrupt checkpoint: {users} users × {items} items × {factors} factors.");
        bool hasBias = reader.ReadBoolean();
        float margin = reader.ReadSingle();
        var userFactors = CheckpointFormat.ReadFloats(reader, users * factors);
        var itemFactors = CheckpointFormat.ReadFloats(reader, items * factors);
        var itemBias = hasBias ? CheckpointFormat.ReadFloats(reader, items) : null;
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        CheckpointFormat.ReadEnd(reader);

        double foldInL2 = header.HyperParameters.TryGetValue("foldInL2", out var text)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : BprMfOptions.Defaults.FoldInL2;
        _model = new FactorServingModel(users, items, factors, userFactors, itemFactors, itemBias, popularity, margin, foldInL2);
    }

    /// <summary>Nothing native outlives <see cref="Fit"/>; the serving arrays are managed.</summary>
    public void Dispose() => _model = null;
}
