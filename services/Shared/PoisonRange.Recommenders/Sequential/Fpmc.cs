using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Training;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// Factorizing Personalized Markov Chains (Rendle, Freudenthaler and Schmidt-Thieme 2010) for
/// next-item recommendation with one item per step: the score of item j for user u whose previous
/// item is l is x(u, l, j) = v_u^{U,I}·v_j^{I,U} + v_l^{L,I}·v_j^{I,L} (+ an optional item bias
/// b_j), a matrix-factorisation term for the user's long-term taste plus a factorised
/// item-to-item transition term. It is trained with sequential BPR (S-BPR): for every transition
/// l → i of every training sequence, a negative j is drawn uniformly from the items the user has
/// not interacted with, and the model maximises ln σ(x(u,l,i) − x(u,l,j)), L2-regularised, by
/// mini-batch Adam or SGD in TorchSharp.
/// </summary>
/// <remarks>
/// <para><b>Scoring.</b> A known user is scored with the transition from the last item of their
/// training sequence, so the model predicts what follows that sequence. A user with a one-item
/// sequence has no transition to train on and gets a zero user factor; a user with none scores by
/// popularity.</para>
/// <para><b>Fold-in.</b> An unseen ordered history gets its user factor the way BPR-MF folds in,
/// applied to S-BPR (see <see cref="FpmcServingModel"/>): with every item parameter fixed, the
/// ridge least-squares fit of the expected margin of each of the history's transitions over the
/// items outside the history to the margin that training transitions achieve. The transition term
/// is known for every transition, so the user factor only explains what the transitions do not.
/// The scores then add the transition from the last item of the history. A one-item history gets a
/// zero user factor (only its transition and the biases rank), an empty history scores by training
/// popularity.</para>
/// <para>Training is reproducible for a fixed seed and <see cref="FpmcOptions.Threads"/>. After
/// <see cref="Fit"/> or <see cref="Load"/> the parameters live in plain arrays and scoring never
/// touches TorchSharp. A fit that fails or is cancelled leaves the previous model serving.</para>
/// </remarks>
public sealed class Fpmc : IRecommender
{
    public const string KindName = "fpmc";
    private const int BodyVersion = 1;

    private volatile FpmcServingModel? _model;

    public Fpmc(FpmcOptions? options = null)
    {
        Options = options ?? new FpmcOptions();
    }

    /// <summary>The settings this model trains with.</summary>
    public FpmcOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<FpmcOptions, Fpmc>(
        KindName,
        "factorised personalised Markov chain, MF plus item-to-item transitions, trained with S-BPR (Rendle 2010)",
        options => new Fpmc(options),
        (model, header, reader) => model.LoadBody(header, reader));

    public string Kind => KindName;
    public int ItemCount => _model?.Items ?? 0;
    public int UserCount => _model?.Users ?? 0;

    /// <summary>The latent dimension of the trained or loaded model (0 before).</summary>
    public int Factors => _model?.Factors ?? 0;

    /// <summary>Writes the folded-in user factor v^{U,I} of an unseen history; false (and zeros) when the history is empty.</summary>
    public bool FoldIn(ReadOnlySpan<int> history, Span<float> userVector)
    {
        var model = RequireModel();
        if (userVector.Length != model.Factors)
            throw new ArgumentException($"The vector has {userVector.Length} entries; the model has {model.Factors} factors.", nameof(userVector));
        SequentialCheckpoint.CheckHistory(history, model.Items);
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
        var data = TransitionSet.Build(train);
        var initialUsers = ImplicitFeedback.Normal(rng, users * d, options.InitStd);
        var initialItems = ImplicitFeedback.Normal(rng, items * d, options.InitStd);
        var initialNext = ImplicitFeedback.Normal(rng, items * d, options.InitStd);
        var initialPrevious = ImplicitFeedback.Normal(rng, items * d, options.InitStd);

        using var threads = new TorchThreads(options.Threads);
        using var network = new FpmcNetwork(users, items, d, options.UseItemBias, options.L2);
        network.Initialize(initialUsers, initialItems, initialNext, initialPrevious);
        PairwiseRankingLoop.Run(network, data.Samples, new PairwiseRankingSchedule(options.Epochs, options.BatchSize, options.Optimizer, options.LearningRate),
            rng, stopwatch, progress, cancellationToken);

        var (userFactors, itemFactors, nextFactors, previousFactors, itemBias) = network.Export();
        // A user without a training transition kept the random initialisation; give them the
        // user factor a one-item fold-in gets (zero).
        var trained = new bool[users];
        foreach (var u in data.TransitionUsers) trained[u] = true;
        for (int u = 0; u < users; u++)
            if (!trained[u]) Array.Clear(userFactors, u * d, d);
        float margin = FpmcServingModel.MeanTrainingMargin(data, d, userFactors, itemFactors, nextFactors, previousFactors, itemBias);
        // An untrained (or degenerate) model has no meaningful margin; keep fold-in oriented.
        margin = MathF.Max(margin, 1e-3f);
        _model = new FpmcServingModel(users, items, d, userFactors, itemFactors, nextFactors, previousFactors, itemBias, data.Popularity,
            data.LastItem, margin, options.FoldInL2);
    }

    public void ScoreUser(int user, Span<float> scores) => RequireModel().ScoreUser(user, scores);

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores) => RequireModel().ScoreHistory(history, scores);

    private FpmcServingModel RequireModel() => _model ?? throw new InvalidOperationException("Fpmc is not fitted or loaded.");

    /// <summary>The serving parameters (the differentiable view in Influence/ rebuilds its tensors from them).</summary>
    internal FpmcServingModel ServingModel => RequireModel();

    /// <summary>
    /// Body layout (version 1): int32 users, items, factors; byte hasBias; float32 fold-in margin;
    /// V^{U,I} (users × d), V^{I,U} (items × d), V^{I,L} (items × d), V^{L,I} (items × d),
    /// [item bias (items)], popularity (items), int32 last item per user (−1 for none).
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
        CheckpointFormat.WriteFloats(writer, model.NextFactors);
        CheckpointFormat.WriteFloats(writer, model.PreviousFactors);
        if (model.ItemBias is not null) CheckpointFormat.WriteFloats(writer, model.ItemBias);
        CheckpointFormat.WriteFloats(writer, model.Popularity);
        CheckpointFormat.WriteInts(writer, model.LastItem);
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
        var nextFactors = CheckpointFormat.ReadFloats(reader, items * factors);
        var previousFactors = CheckpointFormat.ReadFloats(reader, items * factors);
        var itemBias = hasBias ? CheckpointFormat.ReadFloats(reader, items) : null;
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        var lastItem = CheckpointFormat.ReadInts(reader, users, -1, items, "last items");
        CheckpointFormat.ReadEnd(reader);

        double foldInL2 = FactorCheckpoint.SavedFoldInL2(header, FpmcOptions.Defaults.FoldInL2);
        _model = new FpmcServingModel(users, items, factors, userFactors, itemFactors, nextFactors, previousFactors, itemBias, popularity,
            lastItem, margin, foldInL2);
    }

    /// <summary>Nothing native outlives <see cref="Fit"/>; the serving arrays are managed.</summary>
    public void Dispose() => _model = null;
}
