using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// WRMF trained by gradient descent (Tang et al., RecSys 2020, §3: "WRMF+SGD", optimised with
/// Adam; the surrogate of their bi-level attack, whose training steps can be unrolled). It
/// minimises the same full-matrix weighted squared loss as <see cref="Wrmf"/>,
/// <code>
/// L = Σ_{u,i} c_ui (x_ui − p_u·q_i)² + λ(‖P‖² + ‖Q‖²),   c_ui = w observed, 1 missing,
/// </code>
/// over every cell (no sampling of zeros), by Adam on batches of users in TorchSharp; each batch
/// evaluates its rows exactly through the item Gram matrix (see <see cref="WrmfSgdNetwork"/>),
/// O(|I|·d² + nnz_B·d) per step. s(u, i) = p_u·q_i.
/// </summary>
/// <remarks>
/// <para><b>Fold-in.</b> The closed-form ALS user solve with the trained item vectors fixed,
/// (QᵀQ + (w − 1)Σ_{i∈H} q_i q_iᵀ + λI) p = w Σ_{i∈H} q_i: the exact minimiser of L over a new
/// user's vector (the same rule as <see cref="Wrmf"/>). Order and repeats do not matter; an empty
/// history scores by training popularity.</para>
/// <para><b>Determinism.</b> The initialisation and the batch order come from the seeded
/// generator, and libtorch runs with <see cref="WrmfSgdOptions.Threads"/> intra-op threads (set
/// for the duration of <see cref="Fit"/>). After fit or load the parameters live in plain arrays
/// and scoring never touches TorchSharp. A failed or cancelled fit keeps the previous model.</para>
/// </remarks>
public sealed class WrmfSgd : RidgeFactorRecommender
{
    public const string KindName = "wrmf-sgd";
    private const int BodyVersion = 1;

    public WrmfSgd(WrmfSgdOptions? options = null)
        : base(KindName, BodyVersion)
    {
        Options = options ?? new WrmfSgdOptions();
    }

    /// <summary>The settings this model trains with.</summary>
    public WrmfSgdOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<WrmfSgdOptions, WrmfSgd>(
        KindName,
        "weighted matrix factorisation (full-matrix WRMF loss) trained by Adam (Tang et al. 2020, WRMF+SGD)",
        options => new WrmfSgd(options),
        (model, header, reader) => model.LoadBody(reader));

    public override void Fit(InteractionDataset train, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.ItemCount == 0 || train.UserCount == 0)
            throw new ArgumentException($"Cannot train on {train}: it needs at least one user and one item.", nameof(train));
        cancellationToken.ThrowIfCancellationRequested();

        var stopwatch = Stopwatch.StartNew();
        var options = Options;
        int d = options.Factors;
        var matrix = InteractionMatrix.FromDataset(train, CellValue.One);
        int users = matrix.Users, items = matrix.Items;
        var rng = new SeededRandom(options.Seed, BoundedIntegers.Full64Bits);
        var initialUsers = AlternatingLeastSquares.RandomFactors(rng, users, d, options.InitStd);
        var initialItems = AlternatingLeastSquares.RandomFactors(rng, items, d, options.InitStd);

        int previousThreads = torch.get_num_threads();
        torch.set_num_threads(options.Threads);
        try
        {
            using var network = new WrmfSgdNetwork(users, items, d, options.PositiveWeight, options.L2);
            network.Initialize(initialUsers, initialItems);
            long plannedSteps = (long)options.Epochs * ((users + options.BatchSize - 1) / options.BatchSize);
            using var optimizer = new TorchOptimizer(network.parameters(), OptimizerKind.Adam, options.LearningRate,
                finalLearningRateFactor: options.FinalLearningRateFactor, plannedSteps: plannedSteps);
            network.train();

            var order = new int[users];
            for (int u = 0; u < users; u++) order[u] = u;
            var rows = new List<long>();
            var cells = new List<long>();
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                rng.Shuffle(order.AsSpan());
                double lossSum = 0;
                for (int start = 0; start < users; start += options.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int length = Math.Min(options.BatchSize, users - start);
                    var batch = new long[length];
                    rows.Clear();
                    cells.Clear();
                    for (int b = 0; b < length; b++)
                    {
                        int u = order[start + b];
                        batch[b] = u;
                        foreach (var i in matrix.ItemsOf(u))
                        {
                            rows.Add(b);
                            cells.Add(i);
                        }
                    }
                    using var scope = NewDisposeScope();
                    optimizer.ZeroGrad();
                    var loss = network.forward(tensor(batch), tensor(rows.ToArray()), tensor(cells.ToArray()));
                    loss.backward();
                    optimizer.Step();
                    lossSum += loss.item<float>();
                }
                // Loss: the epoch's summed batch objectives divided by the number of observed pairs.
                progress?.Report(new TrainProgress(epoch + 1, options.Epochs, lossSum / Math.Max(1, matrix.Count), stopwatch.Elapsed));
            }

            network.eval();
            var (userFactors, itemFactors) = network.Export();
            cancellationToken.ThrowIfCancellationRequested();
            Model = new RidgeFactorServing(users, items, d, userFactors, itemFactors, ImplicitFeedback.Popularity(train),
                Wrmf.FoldInOf(options.PositiveWeight, options.L2));
        }
        finally
        {
            torch.set_num_threads(previousThreads);
        }
    }

    /// <summary>The step size its optimizer applies at step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>: linear from the learning rate to its final factor.</summary>
    internal static double ScheduledLearningRate(WrmfSgdOptions options, long step, long totalSteps)
        => TorchOptimizer.LinearSchedule(options.LearningRate, options.FinalLearningRateFactor, step, totalSteps);

    private protected override void WriteHeader(BinaryWriter writer, int bodyVersion)
        => ModelRegistration.WriteHeader(writer, KindName, bodyVersion, Options);
}
