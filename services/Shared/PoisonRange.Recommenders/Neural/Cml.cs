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
/// Collaborative metric learning (CML, Hsieh et al. 2017), one of Tang et al.'s victims: users and
/// items are points in the unit ball of R^d, and a user's items are pulled closer than the other
/// items by a margin. For every observed pair (u, i) per epoch, <see cref="CmlOptions.Negatives"/>
/// items are drawn uniformly from u's non-interacted items and the loss is the weighted hinge
/// <code>
/// w_ui · [m + d(u, i)² − min_j d(u, j)²]₊,   w_ui = log(1 + ⌊|I|·M/U⌋)
/// </code>
/// (M of the U sampled negatives violate the margin: Hsieh et al.'s WARP-style rank estimate), plus
/// the optional covariance regulariser λ_c(‖C‖²_F − ‖diag C‖²)/N on the batch's points; mini-batch
/// Adam in TorchSharp, each step followed by the projection of every point into the unit ball. The
/// score is s(u, j) = −‖u − v_j‖².
/// </summary>
/// <remarks>
/// <para><b>Fold-in.</b> The new user's point is inferred with the item points fixed: from the
/// centroid of the history's items, deterministic projected subgradient steps on the expectation of
/// the training loss over the negative sampler (see <see cref="CmlServingModel"/>).</para>
/// <para><b>Determinism.</b> The initialisation, the pair order and the negatives come from the
/// model's seeded generator, and libtorch runs with <see cref="CmlOptions.Threads"/> intra-op
/// threads during <see cref="Fit"/>. After <see cref="Fit"/> or <see cref="Load"/>, scoring runs over
/// plain arrays. A fit that fails or is cancelled leaves the previous model serving.</para>
/// </remarks>
public sealed class Cml : IRecommender
{
    public const string KindName = "cml";
    private const int BodyVersion = 1;

    private volatile CmlServingModel? _model;

    public Cml(CmlOptions? options = null)
    {
        Options = options ?? new CmlOptions();
    }

    /// <summary>The settings this model trains with.</summary>
    public CmlOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<CmlOptions, Cml>(
        KindName,
        "collaborative metric learning, weighted hinge in the unit ball (Hsieh 2017)",
        options => new Cml(options),
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
        if ((long)pairs * k > int.MaxValue)
            throw new ArgumentException($"{train} has {pairs} pairs; with {k} negatives each that is too many.", nameof(train));

        using var threads = new TorchThreads(options.Threads);
        using var network = new CmlNetwork(users, items, options.Factors, options.Margin, options.UseRankWeight, options.CovarianceWeight);
        network.Initialize(rng);
        PairwiseRankingLoop.Run(network, new PairwiseSamples(pairUsers, null, pairItems, positives, items, k),
            new PairwiseRankingSchedule(options.Epochs, options.BatchSize, OptimizerKind.Adam, options.LearningRate), rng, stopwatch, progress, cancellationToken);

        var (userPoints, itemPoints) = network.Export();
        _model = new CmlServingModel(users, items, options.Factors, userPoints, itemPoints, ImplicitFeedback.Popularity(train), options);
    }

    public void ScoreUser(int user, Span<float> scores) => RequireModel().ScoreUser(user, scores);

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores) => RequireModel().ScoreHistory(history, scores);

    private CmlServingModel RequireModel() => _model ?? throw new InvalidOperationException("Cml is not fitted or loaded.");

    /// <summary>The serving form of the fitted or loaded model (for tests and diagnostics).</summary>
    internal CmlServingModel ServingModel => RequireModel();

    /// <summary>Body layout (version 1): int32 users, items, factors; user points (users × d), item points (items × d), popularity (items).</summary>
    public void Save(Stream stream)
    {
        var model = RequireModel();
        using var writer = CheckpointFormat.CreateWriter(stream);
        ModelRegistration.WriteHeader(writer, KindName, BodyVersion, Options);
        writer.Write(model.Users);
        writer.Write(model.Items);
        writer.Write(model.Factors);
        CheckpointFormat.WriteFloats(writer, model.UserPoints);
        CheckpointFormat.WriteFloats(writer, model.ItemPoints);
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
        var saved = CheckpointFormat.SavedOptions(KindName, new CmlOptions(), header, ModelRegistration.FactoryArguments);
        int users = CheckpointFormat.ReadDimension(reader, "users");
        int items = CheckpointFormat.ReadDimension(reader, "items");
        int factors = CheckpointFormat.ReadDimension(reader, "factors", 4096);
        if ((long)Math.Max(users, items) * factors > int.MaxValue)
            throw new InvalidDataException($"Corrupt checkpoint: {users} users × {items} items × {factors} factors.");
        var userPoints = CheckpointFormat.ReadFloats(reader, users * factors);
        var itemPoints = CheckpointFormat.ReadFloats(reader, items * factors);
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        CheckpointFormat.ReadEnd(reader);
        _model = new CmlServingModel(users, items, factors, userPoints, itemPoints, popularity, saved);
    }

    /// <summary>Nothing native outlives <see cref="Fit"/>; the serving arrays are managed.</summary>
    public void Dispose() => _model = null;
}
