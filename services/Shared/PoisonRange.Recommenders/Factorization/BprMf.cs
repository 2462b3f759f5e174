using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Training;

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

    private volatile FactorServingModel? _model;

    public BprMf(BprMfOptions? options = null)
    {
        Options = options ?? new BprMfOptions();
    }

    /// <summary>The settings this model trains with.</summary>
    public BprMfOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<BprMfOptions, BprMf>(
        KindName,
        "matrix factorisation trained with the BPR pairwise loss (Rendle 2009)",
        options => new BprMf(options),
        (model, header, reader) => model.LoadBody(header, reader));

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
        ImplicitFeedback.CheckTrainable(train);
        cancellationToken.ThrowIfCancellationRequested();

        var stopwatch = Stopwatch.StartNew();
        var options = Options;
        int users = train.UserCount, items = train.ItemCount, d = options.Factors;
        var rng = new SeededRandom(options.Seed, BoundedIntegers.Full64Bits);
        var positives = ImplicitFeedback.DistinctPositives(train);
        var (pairUsers, pairItems) = ImplicitFeedback.Pairs(positives, items, train);
        var initialUsers = ImplicitFeedback.Normal(rng, users * d, options.InitStd);
        var initialItems = ImplicitFeedback.Normal(rng, items * d, options.InitStd);

        using var threads = new TorchThreads(options.Threads);
        using var network = new BprMfNetwork(users, items, d, options.UseItemBias, options.L2);
        network.Initialize(initialUsers, initialItems);
        PairwiseRankingLoop.Run(network, new PairwiseSamples(pairUsers, null, pairItems, positives, items),
            new PairwiseRankingSchedule(options.Epochs, options.BatchSize, options.Optimizer, options.LearningRate, options.FinalLearningRateFactor),
            rng, stopwatch, progress, cancellationToken);

        var (userFactors, itemFactors, itemBias) = network.Export();
        float margin = FactorServingModel.MeanTrainingMargin(users, items, d, userFactors, itemFactors, itemBias, positives);
        // An untrained (or degenerate) model has no meaningful margin; keep fold-in oriented.
        margin = MathF.Max(margin, 1e-3f);
        _model = new FactorServingModel(users, items, d, userFactors, itemFactors, itemBias, ImplicitFeedback.Popularity(train), margin, options.FoldInL2);
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
        ModelRegistration.WriteHeader(writer, KindName, BodyVersion, Options);
        FactorCheckpoint.WriteDimensions(writer, model.Users, model.Items, model.Factors);
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
        var (users, items, factors) = FactorCheckpoint.ReadDimensions(reader);
        bool hasBias = reader.ReadBoolean();
        float margin = reader.ReadSingle();
        var userFactors = CheckpointFormat.ReadFloats(reader, users * factors);
        var itemFactors = CheckpointFormat.ReadFloats(reader, items * factors);
        var itemBias = hasBias ? CheckpointFormat.ReadFloats(reader, items) : null;
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        CheckpointFormat.ReadEnd(reader);

        double foldInL2 = FactorCheckpoint.SavedFoldInL2(header, BprMfOptions.Defaults.FoldInL2);
        _model = new FactorServingModel(users, items, factors, userFactors, itemFactors, itemBias, popularity, margin, foldInL2);
    }

    /// <summary>Nothing native outlives <see cref="Fit"/>; the serving arrays are managed.</summary>
    public void Dispose() => _model = null;
}
