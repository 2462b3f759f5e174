using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Training;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// Translation-based recommendation (He, Kang and McAuley 2017): items are points γ_i in a
/// "transition space" (kept in the unit L2 ball), and a user moves from the previous item l to the
/// next by the translation t + t_u, a global vector plus a personal offset. The score of item j is
/// x(u, l, j) = β_j − d(γ_l + t + t_u, γ_j) with an item bias β_j and the L2 (or squared L2)
/// distance. It is trained with sequential BPR: for every transition l → i of every training
/// sequence a negative j is drawn uniformly from the items the user has not interacted with, and
/// the model maximises ln σ(x(u,l,i) − x(u,l,j)), L2-regularised, by mini-batch Adam or SGD in
/// TorchSharp, projecting the item points back into the unit ball after every step.
/// </summary>
/// <remarks>
/// <para><b>Scoring.</b> A known user is scored from the last item of their training sequence
/// with their own translation.</para>
/// <para><b>Fold-in.</b> An unseen history is scored from its last item with the global
/// translation alone (t_u = 0), the paper's treatment of users without a personal offset: t is the
/// translation shared by all users and t_u, shrunk towards zero by the regulariser, only the
/// personal deviation from it. An empty history scores by training popularity.</para>
/// <para>Training is reproducible for a fixed seed and <see cref="TransRecOptions.Threads"/>.
/// After <see cref="Fit"/> or <see cref="Load"/> the parameters live in plain arrays and scoring
/// never touches TorchSharp. A fit that fails or is cancelled leaves the previous model serving.</para>
/// </remarks>
public sealed class TransRec : IRecommender
{
    public const string KindName = "transrec";
    private const int BodyVersion = 1;

    private volatile TransRecServingModel? _model;

    public TransRec(TransRecOptions? options = null)
    {
        Options = options ?? new TransRecOptions();
    }

    /// <summary>The settings this model trains with.</summary>
    public TransRecOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<TransRecOptions, TransRec>(
        KindName,
        "translation-based next-item model: items as points, users as translations, S-BPR (He 2017)",
        options => new TransRec(options),
        (model, header, reader) => model.LoadBody(header, reader));

    public string Kind => KindName;
    public int ItemCount => _model?.Items ?? 0;
    public int UserCount => _model?.Users ?? 0;

    /// <summary>The dimension of the transition space of the trained or loaded model (0 before).</summary>
    public int Factors => _model?.Factors ?? 0;

    /// <summary>A copy of the global translation t.</summary>
    public float[] GetTranslation() => RequireModel().Translation.ToArray();

    /// <summary>A copy of user <paramref name="user"/>'s personal offset t_u.</summary>
    public float[] GetUserTranslation(int user)
    {
        var model = RequireModel();
        SequentialCheckpoint.CheckUser(user, model.Users);
        return model.UserTranslations.AsSpan(user * model.Factors, model.Factors).ToArray();
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

        var initialItems = ImplicitFeedback.Normal(rng, items * d, options.InitStd);

        using var threads = new TorchThreads(options.Threads);
        using var network = new TransRecNetwork(users, items, d, options.Distance == TransRecDistance.SquaredL2, options.L2);
        network.Initialize(initialItems);
        network.ProjectItems();
        PairwiseRankingLoop.Run(network, data.Samples, new PairwiseRankingSchedule(options.Epochs, options.BatchSize, options.Optimizer, options.LearningRate),
            rng, stopwatch, progress, cancellationToken);

        var (itemPoints, itemBias, translation, userTranslations) = network.Export();
        float margin = TransRecServingModel.MeanTrainingMargin(data, d, itemPoints, itemBias, translation, userTranslations, options.Distance);
        // An untrained (or degenerate) model has no meaningful margin; keep fold-in oriented.
        margin = MathF.Max(margin, 1e-3f);
        _model = new TransRecServingModel(users, items, d, itemPoints, itemBias, translation, userTranslations, data.LastItem, data.Popularity,
            options.Distance, margin, options.FoldInL2);
    }

    public void ScoreUser(int user, Span<float> scores) => RequireModel().ScoreUser(user, scores);

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores) => RequireModel().ScoreHistory(history, scores);

    private TransRecServingModel RequireModel() => _model ?? throw new InvalidOperationException("TransRec is not fitted or loaded.");

    /// <summary>The serving parameters (the differentiable view in Influence/ rebuilds its tensors from them).</summary>
    internal TransRecServingModel ServingModel => RequireModel();

    /// <summary>
    /// Body layout (version 1): int32 users, items, factors, distance; float32 fold-in margin; item points (items × d),
    /// item bias (items), translation (d), user translations (users × d), popularity (items),
    /// int32 last item per user (−1 for none).
    /// </summary>
    public void Save(Stream stream)
    {
        var model = RequireModel();
        using var writer = CheckpointFormat.CreateWriter(stream);
        ModelRegistration.WriteHeader(writer, KindName, BodyVersion, Options);
        FactorCheckpoint.WriteDimensions(writer, model.Users, model.Items, model.Factors);
        writer.Write((int)model.Distance);
        writer.Write(model.FoldInMargin);
        CheckpointFormat.WriteFloats(writer, model.ItemPoints);
        CheckpointFormat.WriteFloats(writer, model.ItemBias);
        CheckpointFormat.WriteFloats(writer, model.Translation);
        CheckpointFormat.WriteFloats(writer, model.UserTranslations);
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
        var distance = (TransRecDistance)reader.ReadInt32();
        if (!Enum.IsDefined(distance))
            throw new InvalidDataException($"Corrupt checkpoint: distance {(int)distance}.");
        float margin = reader.ReadSingle();
        var itemPoints = CheckpointFormat.ReadFloats(reader, items * factors);
        var itemBias = CheckpointFormat.ReadFloats(reader, items);
        var translation = CheckpointFormat.ReadFloats(reader, factors);
        var userTranslations = CheckpointFormat.ReadFloats(reader, users * factors);
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        var lastItem = CheckpointFormat.ReadInts(reader, users, -1, items, "last items");
        CheckpointFormat.ReadEnd(reader);
        double foldInL2 = FactorCheckpoint.SavedFoldInL2(header, TransRecOptions.Defaults.FoldInL2);
        _model = new TransRecServingModel(users, items, factors, itemPoints, itemBias, translation, userTranslations, lastItem, popularity, distance,
            margin, foldInL2);
    }

    /// <summary>Nothing native outlives <see cref="Fit"/>; the serving arrays are managed.</summary>
    public void Dispose() => _model = null;
}
