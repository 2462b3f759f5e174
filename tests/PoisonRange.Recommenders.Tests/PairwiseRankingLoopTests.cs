using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Tests;

public class PairwiseRankingLoopTests
{
    private const int Items = 6;

    // Users 0..2 with their distinct items (sorted); user 2 has one item only.
    private static readonly int[][] UserItems = [[0, 1, 2], [1, 3], [4]];

    private static PairwiseSamples Pairs() => new([0, 0, 0, 1, 1, 2], null, [0, 1, 2, 1, 3, 4], UserItems, Items);

    private static PairwiseSamples Transitions() => new([0, 0, 1], [0, 1, 1], [1, 2, 3], UserItems, Items);

    /// <summary>A dot-product BPR model that records every batch it sees and every step.</summary>
    private sealed class RecordingNetwork : PairwiseRankingNetwork
    {
        private readonly Embedding _users = nn.Embedding(3, 2);
        private readonly Embedding _items = nn.Embedding(Items, 2);

        public RecordingNetwork() : base(nameof(RecordingNetwork), 0.01) => RegisterComponents();

        public List<(long[] Users, long[]? Previous, long[] Positives, long[] Negatives, bool Training)> Batches { get; } = [];
        public int Steps { get; private set; }

        public override Tensor BatchLoss(PairwiseBatch batch)
        {
            static long[] Values(Tensor t) => t.data<long>().ToArray();
            Batches.Add((Values(batch.Users), batch.Previous is null ? null : Values(batch.Previous), Values(batch.Positives),
                Values(batch.Negatives), training));
            var p = _users.forward(batch.Users);
            var x = p.mul(_items.forward(batch.Positives).add(_items.forward(batch.Negatives), Scalars.MinusOne)).sum(1);
            return RankingLoss(x, SquaredNorm(p));
        }

        public override void AfterStep() => Steps++;
    }

    private static (RecordingNetwork Network, List<TrainProgress> Progress) Train(PairwiseSamples samples, ulong seed, int epochs = 3, int batchSize = 4)
    {
        var network = new RecordingNetwork();
        var progress = new List<TrainProgress>();
        PairwiseRankingLoop.Run(network, samples, new PairwiseRankingSchedule(epochs, batchSize, OptimizerKind.Adam, 0.05),
            new SeededRandom(seed, BoundedIntegers.Full64Bits), Stopwatch.StartNew(), new SyncProgress<TrainProgress>(progress.Add), CancellationToken.None);
        return (network, progress);
    }

    [Fact]
    public void Every_epoch_visits_each_sample_once_in_batches_with_a_negative_outside_the_users_items()
    {
        var samples = Pairs();
        var (network, progress) = Train(samples, seed: 7);
        using var _ = network;

        // 6 samples in batches of 4: 2 steps per epoch, 3 epochs.
        Assert.Equal(6, network.Batches.Count);
        Assert.Equal(new[] { 4, 2, 4, 2, 4, 2 }, network.Batches.Select(b => b.Users.Length));
        Assert.Equal(PairwiseRankingLoop.PlannedSteps(new PairwiseRankingSchedule(3, 4, OptimizerKind.Adam, 0.05), samples.Count), network.Steps);
        var expected = Enumerable.Range(0, samples.Count).Select(t => (samples.Users[t], samples.Positives[t])).Order().ToArray();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var batches = network.Batches.Skip(2 * epoch).Take(2).ToArray();
            var seen = batches.SelectMany(b => b.Users.Zip(b.Positives, (u, i) => ((int)u, (int)i))).Order().ToArray();
            Assert.Equal(expected, seen);
            foreach (var b in batches)
            {
                Assert.Null(b.Previous);
                Assert.True(b.Training);
                for (int t = 0; t < b.Users.Length; t++)
                    Assert.DoesNotContain((int)b.Negatives[t], UserItems[b.Users[t]]);
            }
        }
        Assert.False(network.training);
        Assert.Equal(new[] { 1, 2, 3 }, progress.Select(p => p.Epoch));
        Assert.All(progress, p => Assert.Equal(3, p.Epochs));
        Assert.All(progress, p => Assert.True(double.IsFinite(p.Loss) && p.Loss > 0));
    }

    [Fact]
    public void Sequential_samples_keep_their_previous_item_with_their_user_and_positive()
    {
        var samples = Transitions();
        var (network, _) = Train(samples, seed: 3, epochs: 2, batchSize: 8);
        using var _n = network;
        var expected = Enumerable.Range(0, samples.Count).Select(t => (samples.Users[t], samples.Previous![t], samples.Positives[t])).Order().ToArray();
        foreach (var b in network.Batches)
        {
            Assert.NotNull(b.Previous);
            var seen = Enumerable.Range(0, b.Users.Length).Select(t => ((int)b.Users[t], (int)b.Previous![t], (int)b.Positives[t])).Order().ToArray();
            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public void Several_negatives_per_sample_come_as_a_batch_by_negatives_matrix()
    {
        var samples = new PairwiseSamples([0, 1, 2], null, [0, 3, 4], UserItems, Items, negativesPerSample: 3);
        using var network = new MatrixNetwork();
        PairwiseRankingLoop.Run(network, samples, new PairwiseRankingSchedule(2, 2, OptimizerKind.Sgd, 0.1), new SeededRandom(5, BoundedIntegers.Full64Bits),
            Stopwatch.StartNew(), null, CancellationToken.None);
        Assert.Equal(4, network.Shapes.Count);
        Assert.Equal(new long[] { 2, 3 }, network.Shapes[0]);
        Assert.Equal(new long[] { 1, 3 }, network.Shapes[1]);
        Assert.All(network.Rows, row => Assert.All(row.Negatives, j => Assert.DoesNotContain((int)j, UserItems[row.User])));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PairwiseSamples([0], null, [0], UserItems, Items, negativesPerSample: 0));
    }

    /// <summary>Records the shape of the negatives and each sample's row; the loss pulls the user towards the positive.</summary>
    private sealed class MatrixNetwork : PairwiseRankingNetwork
    {
        private readonly Embedding _users = nn.Embedding(3, 2);
        private readonly Embedding _items = nn.Embedding(Items, 2);

        public MatrixNetwork() : base(nameof(MatrixNetwork)) => RegisterComponents();

        public List<long[]> Shapes { get; } = [];
        public List<(long User, long[] Negatives)> Rows { get; } = [];

        public override Tensor BatchLoss(PairwiseBatch batch)
        {
            Shapes.Add(batch.Negatives.shape);
            var users = batch.Users.data<long>().ToArray();
            var negatives = batch.Negatives.data<long>().ToArray();
            int k = (int)batch.Negatives.shape[1];
            for (int t = 0; t < users.Length; t++) Rows.Add((users[t], negatives[(t * k)..((t + 1) * k)]));
            return _users.forward(batch.Users).mul(_items.forward(batch.Positives)).sum().neg();
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_order_and_negatives_and_another_seed_does_not()
    {
        var (a, _) = Train(Pairs(), seed: 11);
        var (b, _) = Train(Pairs(), seed: 11);
        var (c, _) = Train(Pairs(), seed: 12);
        using var _a = a;
        using var _b = b;
        using var _c = c;
        static long[] Stream(RecordingNetwork n) => n.Batches.SelectMany(x => x.Users.Concat(x.Positives).Concat(x.Negatives)).ToArray();
        Assert.Equal(Stream(a), Stream(b));
        Assert.NotEqual(Stream(a), Stream(c));
    }

    [Fact]
    public void Cancellation_stops_before_the_first_step()
    {
        using var network = new RecordingNetwork();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => PairwiseRankingLoop.Run(network, Pairs(),
            new PairwiseRankingSchedule(2, 4, OptimizerKind.Sgd, 0.1), new SeededRandom(1, BoundedIntegers.Full64Bits), Stopwatch.StartNew(), null, cancelled.Token));
        Assert.Empty(network.Batches);
    }

    [Fact]
    public void Sample_columns_of_different_lengths_are_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new PairwiseSamples([0, 1], [0], [1, 2], UserItems, Items));
        Assert.Contains("differ in length", error.Message);
    }

    [Theory]
    [InlineData(-1, 4, "epochs")]
    [InlineData(2, 0, "batch size")]
    public void A_bad_schedule_is_rejected_before_any_step(int epochs, int batchSize, string named)
    {
        using var network = new RecordingNetwork();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PairwiseRankingLoop.Run(network, Pairs(),
            new PairwiseRankingSchedule(epochs, batchSize, OptimizerKind.Sgd, 0.1), new SeededRandom(1, BoundedIntegers.Full64Bits),
            Stopwatch.StartNew(), null, CancellationToken.None));
        Assert.Contains(named, error.Message);
        Assert.Empty(network.Batches);
    }

    [Fact]
    public void Missing_columns_and_an_empty_catalogue_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => new PairwiseSamples(null!, null, [1], UserItems, Items));
        Assert.Throws<ArgumentNullException>(() => new PairwiseSamples([0], null, null!, UserItems, Items));
        Assert.Throws<ArgumentNullException>(() => new PairwiseSamples([0], null, [1], null!, Items));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PairwiseSamples([0], null, [1], UserItems, 0));
    }

    [Fact]
    public void The_loop_and_its_types_are_public_for_surrogate_training()
    {
        foreach (var type in new[] { typeof(PairwiseRankingLoop), typeof(PairwiseSamples), typeof(PairwiseBatch),
                     typeof(PairwiseRankingNetwork), typeof(PairwiseRankingSchedule) })
            Assert.True(type.IsPublic, $"{type.Name} is not public.");
    }
}
