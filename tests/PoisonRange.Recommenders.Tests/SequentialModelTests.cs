using PoisonRange.Data;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp;

namespace PoisonRange.Recommenders.Tests;

public sealed class SequentialModelTests(SequentialModels models) : IClassFixture<SequentialModels>
{
    public static TheoryData<string> Kinds => [Fpmc.KindName, Gru4Rec.KindName, TransRec.KindName];

    /// <summary>The kinds plus TransRec with the L2 distance, whose fold-in differs.</summary>
    public static TheoryData<string> Variants => [Fpmc.KindName, Gru4Rec.KindName, TransRec.KindName, SequentialModels.TransRecL2Name];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Learns_the_successor_pattern_clearly_better_than_non_sequential_models(string kind)
    {
        double pop = models.Data.HitRatio(models.Pop);
        double bpr = models.Data.HitRatio(models.Bpr);
        double model = models.Data.HitRatio(models.Model(kind));

        string report = $"{kind} HR@10 = {model:F3}, BPR-MF = {bpr:F3}, PopRec = {pop:F3}";
        // Typically 0.92 (FPMC), 0.99 (GRU4Rec), 0.73 (TransRec, squared L2), 0.93 (TransRec, L2)
        // against 0.29 (BPR-MF) and 0.14 (PopRec).
        Assert.True(model >= 0.6, report);
        Assert.True(model >= Math.Max(pop, bpr) + 0.3, report);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Folds_in_an_unseen_walk_with_the_successor_first_and_no_seen_items(string kind)
    {
        var model = models.Model(kind);
        int inTop3 = 0, inTop10 = 0, walks = 50;
        var top = new int[10];
        for (int w = 0; w < walks; w++)
        {
            var walk = models.Data.NewWalk(12, seed: 1000 + (ulong)w);
            var history = walk[..^1];
            int n = model.RecommendHistory(history, excludeHistory: true, top);

            Assert.Equal(10, n);
            Assert.Empty(top.Intersect(history));
            if (top[..3].Contains(walk[^1])) inTop3++;
            if (top.Contains(walk[^1])) inTop10++;
        }
        string report = $"{kind}: the successor is in the top 3 for {inTop3} and in the top 10 for {inTop10} of {walks} unseen walks";
        // Typically 97% / 82% (FPMC), 98% / 91% (GRU4Rec), 89% / 67% (TransRec, squared L2),
        // 100% / 97% (TransRec, L2) in the top 10 / top 3.
        Assert.True(inTop10 >= 40, report);
        Assert.True(inTop3 >= 28, report);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Empty_history_falls_back_to_popularity(string kind)
    {
        var model = models.Model(kind);
        var scores = new float[model.ItemCount];
        var popularity = new float[model.ItemCount];
        model.ScoreHistory([], scores);
        models.Pop.ScoreHistory([], popularity);
        Assert.Equal(popularity, scores);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Checkpoint_round_trips_to_bit_identical_scores(string kind)
    {
        var model = models.Model(kind);
        using var stream = new MemoryStream();
        model.Save(stream);

        stream.Position = 0;
        using var viaFactory = RecommenderFactory.Load(stream);
        stream.Position = 0;
        using var viaInstance = SequentialModels.Create(kind, epochs: 1, seed: 99);
        viaInstance.Load(stream);

        var expected = BprMfTests.AllScores(model);
        var histories = Enumerable.Range(0, 5).Select(w => models.Data.NewWalk(9, seed: 77 + (ulong)w)).Append([]).ToArray();
        foreach (var restored in new[] { viaFactory, viaInstance })
        {
            Assert.Equal(kind, restored.Kind);
            Assert.Equal(model.UserCount, restored.UserCount);
            Assert.Equal(model.ItemCount, restored.ItemCount);
            Assert.Equal(expected, BprMfTests.AllScores(restored));
            foreach (var history in histories)
                Assert.Equal(HistoryScores(model, history), HistoryScores(restored, history));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Same_seed_gives_identical_scores_and_another_seed_does_not(string kind)
    {
        // Two libtorch threads, on a third of the users to keep it quick.
        var data = SuccessorData.Create(users: 100);
        using var a = SequentialModels.Create(kind, epochs: 2, threads: 2);
        using var b = SequentialModels.Create(kind, epochs: 2, threads: 2);
        using var c = SequentialModels.Create(kind, epochs: 2, threads: 2, seed: 6);
        a.Fit(data.Train);
        b.Fit(data.Train);
        c.Fit(data.Train);

        Assert.Equal(BprMfTests.AllScores(a), BprMfTests.AllScores(b));
        Assert.NotEqual(BprMfTests.AllScores(a), BprMfTests.AllScores(c));
        var history = data.NewWalk(10, seed: 4);
        Assert.Equal(HistoryScores(a, history), HistoryScores(b, history));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Reports_progress_per_epoch_and_cancellation_keeps_the_previous_model(string kind)
    {
        var reports = new List<TrainProgress>();
        using var model = SequentialModels.Create(kind, epochs: 4);
        model.Fit(models.Data.Train, new ListProgress(reports));
        Assert.Equal([1, 2, 3, 4], reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.Equal(4, r.Epochs));
        Assert.True(reports[^1].Loss < reports[0].Loss, string.Join(", ", reports.Select(r => r.Loss)));
        var before = BprMfTests.AllScores(model);

        using var cts = new CancellationTokenSource();
        var cancelled = new List<TrainProgress>();
        Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(models.Data.Train, new ListProgress(cancelled, _ => cts.Cancel()), cts.Token));
        Assert.Single(cancelled);
        Assert.Equal(before, BprMfTests.AllScores(model));

        using var fresh = SequentialModels.Create(kind);
        Assert.ThrowsAny<OperationCanceledException>(() => fresh.Fit(models.Data.Train, null, new CancellationToken(canceled: true)));
        Assert.Equal(0, fresh.ItemCount);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Scoring_is_thread_safe(string kind)
    {
        var model = models.Model(kind);
        var expected = BprMfTests.AllScores(model);
        var history = models.Data.NewWalk(10, seed: 5);
        var expectedHistory = HistoryScores(model, history);
        var actual = new byte[model.UserCount][];
        Parallel.For(0, model.UserCount * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            int u = t % model.UserCount;
            var scores = new float[model.ItemCount];
            model.ScoreUser(u, scores);
            actual[u] = BprMfTests.Bits(scores);
            Assert.Equal(expectedHistory, HistoryScores(model, history));
        });
        Assert.Equal(expected, actual.SelectMany(b => b).ToArray());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Rejects_bad_calls_clearly(string kind)
    {
        using var untrained = SequentialModels.Create(kind);
        Assert.Throws<InvalidOperationException>(() => untrained.ScoreUser(0, new float[3]));
        Assert.Throws<InvalidOperationException>(() => untrained.ScoreHistory([1], new float[3]));
        Assert.Throws<InvalidOperationException>(() => untrained.Save(new MemoryStream()));

        var model = models.Model(kind);
        var scores = new float[model.ItemCount];
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ScoreUser(model.UserCount, scores));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ScoreUser(-1, scores));
        Assert.Throws<ArgumentException>(() => model.ScoreUser(0, new float[model.ItemCount - 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ScoreHistory([0, model.ItemCount], scores));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ScoreHistory([-1], scores));

        using var stream = new MemoryStream();
        models.Pop.Save(stream);
        stream.Position = 0;
        Assert.Throws<InvalidDataException>(() => untrained.Load(stream));
        using var truncated = new MemoryStream();
        model.Save(truncated);
        truncated.SetLength(truncated.Length - 9);
        truncated.Position = 0;
        Assert.Throws<InvalidDataException>(() => RecommenderFactory.Load(truncated));
    }

    [Theory]
    [InlineData("fpmc", "factors", "0", "Factors")]
    [InlineData("fpmc", "optimizer", "rmsprop", "Adam")]
    [InlineData("fpmc", "foldInL2", "-1", "FoldInL2")]
    [InlineData("transrec", "distance", "l3", "SquaredL2")]
    [InlineData("transrec", "learning_rate", "0", "LearningRate")]
    [InlineData("transrec", "epochs", "many", "integer")]
    [InlineData("gru4rec", "dropout", "1", "Dropout")]
    [InlineData("gru4rec", "hidden-size", "0", "HiddenSize")]
    [InlineData("gru4rec", "maxLength", "NaN", "integer")]
    [InlineData("gru4rec", "l2", "-0.5", "L2")]
    public void Bad_hyper_parameters_name_the_parameter_and_value(string kind, string name, string value, string hint)
    {
        var error = Assert.Throws<HyperParameterException>(() => RecommenderFactory.Create(kind, new Dictionary<string, string> { [name] = value }, 1));
        Assert.Contains($"'{name}'", error.Message);
        Assert.Contains(value, error.Message);
        Assert.Contains(hint, error.Message);
        Assert.Equal(kind, error.Kind);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Unknown_hyper_parameters_list_the_valid_names(string kind)
    {
        var error = Assert.Throws<HyperParameterException>(() => RecommenderFactory.Create(kind, new Dictionary<string, string> { ["factorz"] = "8" }, 1));
        Assert.Contains("'factorz'", error.Message);
        Assert.Contains("learningRate", error.ValidNames);
        Assert.Contains("epochs", error.ValidNames);
        Assert.DoesNotContain("seed", error.ValidNames);
        Assert.DoesNotContain("threads", error.ValidNames);
        Assert.Equal(RecommenderFactory.Describe(kind).HyperParameterNames, error.ValidNames);
    }

    [Fact]
    public void Factory_applies_hyper_parameters_seed_and_threads()
    {
        var fpmc = Assert.IsType<Fpmc>(RecommenderFactory.Create("FPMC", new Dictionary<string, string>
        {
            ["factors"] = "8",
            ["use_item_bias"] = "false",
            ["optimizer"] = "sgd",
        }, seed: 42, threads: 2));
        Assert.Equal(8, fpmc.Options.Factors);
        Assert.False(fpmc.Options.UseItemBias);
        Assert.Equal(OptimizerKind.Sgd, fpmc.Options.Optimizer);
        Assert.Equal(42UL, fpmc.Options.Seed);
        Assert.Equal(2, fpmc.Options.Threads);

        var transRec = Assert.IsType<TransRec>(RecommenderFactory.Create("transrec", new Dictionary<string, string> { ["distance"] = "squaredl2" }, seed: 3));
        Assert.Equal(TransRecDistance.SquaredL2, transRec.Options.Distance);
        Assert.Equal(TransRecOptions.Defaults.Factors, transRec.Options.Factors);

        var gru = Assert.IsType<Gru4Rec>(RecommenderFactory.Create("GRU4Rec", new Dictionary<string, string> { ["hiddenSize"] = "24", ["max-length"] = "7" }, seed: 4));
        Assert.Equal(24, gru.Options.HiddenSize);
        Assert.Equal(7, gru.Options.MaxLength);
        Assert.Equal(Gru4RecOptions.Defaults.Dropout, gru.Options.Dropout);
    }

    [Fact]
    public void Options_validate_at_construction()
    {
        Assert.Equal("Epochs", Assert.Throws<ArgumentOutOfRangeException>(() => new FpmcOptions { Epochs = -1 }).ParamName);
        Assert.Equal("InitStd", Assert.Throws<ArgumentOutOfRangeException>(() => new TransRecOptions { InitStd = 0 }).ParamName);
        Assert.Equal("Distance", Assert.Throws<ArgumentOutOfRangeException>(() => new TransRecOptions { Distance = (TransRecDistance)7 }).ParamName);
        Assert.Equal("Dropout", Assert.Throws<ArgumentOutOfRangeException>(() => new Gru4RecOptions { Dropout = -0.1 }).ParamName);
        Assert.Equal("BatchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new Gru4RecOptions() with { BatchSize = 0 }).ParamName);
    }

    [Fact]
    public void Fpmc_scores_known_users_from_their_last_item_and_folds_in_close_to_them()
    {
        // A training user's own sequence folded in: the transition part is the same, the
        // user-item part is re-estimated, so the rankings should largely agree.
        var trained = new float[models.Fpmc.ItemCount];
        var folded = new float[models.Fpmc.ItemCount];
        var trainedTop = new int[10];
        var foldedTop = new int[10];
        double overlap = 0;
        int users = models.Data.Train.UserCount;
        for (int u = 0; u < users; u++)
        {
            var history = models.Data.Train.Sequences[u];
            models.Fpmc.ScoreUser(u, trained);
            models.Fpmc.ScoreHistory(history, folded);
            RecommenderExtensions.ExcludeItems(trained, history);
            RecommenderExtensions.ExcludeItems(folded, history);
            TopK.SelectInto(trained, trainedTop);
            TopK.SelectInto(folded, foldedTop);
            overlap += trainedTop.Intersect(foldedTop).Count() / 10.0;
        }
        Assert.True(overlap / users >= 0.6, $"mean top-10 overlap {overlap / users:F3}");

        var vector = new float[models.Fpmc.Factors];
        Assert.True(models.Fpmc.FoldIn(models.Data.Train.Sequences[0], vector));
        Assert.Contains(vector, v => v != 0);
        Assert.False(models.Fpmc.FoldIn([], vector));
        Assert.All(vector, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Fpmc_fold_in_is_the_stationary_point_of_the_expected_margin_least_squares()
    {
        // Random parameters: the closed form must zero the gradient of
        // L(p) = 1/|T| Σ_{(l→i)∈T} (m − mean_{j∉H}[x(l,i) − x(l,j)])² + λ‖p‖²,
        // x(l,j) = p·q_j + c_l·w_j + b_j, computed here by brute force.
        const int items = 40, d = 6;
        const float margin = 1.3f;
        const double foldInL2 = 0.05;
        var rng = new SeededRandom(8, BoundedIntegers.Full64Bits);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray();
        float[] q = Random(items * d), w = Random(items * d), c = Random(items * d), bias = Random(items);
        var model = new FpmcServingModel(1, items, d, new float[d], q, w, c, bias, new float[items], [0], margin, foldInL2);
        int[] history = [3, 17, 5, 17, 39, 0];

        var p = new float[d];
        Assert.True(model.FoldIn(history, p));

        var negatives = Enumerable.Range(0, items).Except(history).ToArray();
        double Dot(float[] m, int row, Func<int, double> v) => Enumerable.Range(0, d).Sum(k => m[row * d + k] * v(k));
        double X(int l, int j) => Dot(q, j, k => p[k]) + Dot(w, j, k => c[l * d + k]) + bias[j];
        double trace = 0;
        var mean = new double[d];
        for (int j = 0; j < items; j++) for (int k = 0; k < d; k++) mean[k] += q[j * d + k] / (double)items;
        for (int j = 0; j < items; j++) for (int k = 0; k < d; k++) trace += Math.Pow(q[j * d + k] - mean[k], 2);
        double ridge = foldInL2 * trace / items / d;

        var gradient = new double[d];
        int transitions = history.Length - 1;
        for (int t = 1; t < history.Length; t++)
        {
            int l = history[t - 1], i = history[t];
            double expected = negatives.Average(j => X(l, i) - X(l, j));
            for (int k = 0; k < d; k++)
            {
                double derivative = negatives.Average(j => (double)q[i * d + k] - q[j * d + k]);
                gradient[k] += -2 * (margin - expected) * derivative / transitions;
            }
        }
        for (int k = 0; k < d; k++) gradient[k] += 2 * ridge * p[k];
        double norm = Math.Sqrt(gradient.Sum(g => g * g));
        Assert.True(norm < 1e-4, $"gradient norm {norm:E2}");

        // One item: no transition, so only the transition from it and the biases rank.
        Assert.True(model.FoldIn([7], p));
        Assert.All(p, v => Assert.Equal(0, v));
    }

    [Fact]
    public void TransRec_with_the_L2_distance_folds_in_with_the_global_translation()
    {
        var model = models.TransRecL2;
        // A training user's scores differ from the fold-in of their sequence only by t_u.
        var scores = new float[model.ItemCount];
        var folded = new float[model.ItemCount];
        model.ScoreUser(0, scores);
        model.ScoreHistory(models.Data.Train.Sequences[0], folded);
        Assert.NotEqual(scores, folded);
        Assert.Contains(model.GetUserTranslation(0), v => v != 0);
        Assert.Contains(model.GetTranslation(), v => v != 0);

        // Only the last item of a history matters.
        var walk = models.Data.NewWalk(8, seed: 3);
        var shortScores = new float[model.ItemCount];
        model.ScoreHistory(walk, folded);
        model.ScoreHistory(walk[^1..], shortScores);
        Assert.Equal(folded, shortScores);
    }

    [Fact]
    public void TransRec_keeps_item_points_in_the_unit_ball()
    {
        foreach (var model in new[] { models.TransRec, models.TransRecL2 })
        {
            using var stream = new MemoryStream();
            model.Save(stream);
            stream.Position = 0;
            using var reader = new BinaryReader(stream);
            var header = Checkpoints.CheckpointFormat.ReadHeader(reader);
            int users = reader.ReadInt32(), items = reader.ReadInt32(), d = reader.ReadInt32();
            reader.ReadInt32(); // distance
            reader.ReadSingle(); // fold-in margin
            var points = Checkpoints.CheckpointFormat.ReadFloats(reader, items * d);
            for (int i = 0; i < items; i++)
            {
                double norm = Math.Sqrt(points.Skip(i * d).Take(d).Sum(v => (double)v * v));
                Assert.True(norm <= 1 + 1e-4, $"item {i} has norm {norm}");
            }
            Assert.Equal(TransRec.KindName, header.Kind);
            Assert.Equal(models.Data.Train.UserCount, users);
        }
    }

    [Fact]
    public void TransRec_squared_fold_in_is_the_stationary_point_of_the_expected_margin_least_squares()
    {
        // Random parameters: the closed form must zero the gradient of
        // L(t_u) = 1/|T| Σ_{(l→i)∈T} (m − mean_{j∉H}[x(l,i) − x(l,j)])² + λ‖t_u‖²,
        // x(l,j) = β_j − ‖γ_l + t + t_u − γ_j‖², computed here by brute force.
        const int items = 40, d = 6;
        const float margin = 0.9f;
        const double foldInL2 = 0.05;
        var rng = new SeededRandom(9, BoundedIntegers.Full64Bits);
        float[] Random(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)(scale * rng.NextGaussian())).ToArray();
        float[] points = Random(items * d, 0.3), bias = Random(items, 1), translation = Random(d, 0.2);
        var model = new TransRecServingModel(1, items, d, points, bias, translation, new float[d], [0], new float[items],
            TransRecDistance.SquaredL2, margin, foldInL2);
        int[] history = [3, 17, 5, 17, 39, 0];

        var offset = new float[d];
        Assert.True(model.FoldIn(history, offset));
        Assert.Contains(offset, v => v != 0);

        var negatives = Enumerable.Range(0, items).Except(history).ToArray();
        double X(int l, int j) => bias[j] - Enumerable.Range(0, d).Sum(k => Math.Pow((double)points[l * d + k] + translation[k] + offset[k] - points[j * d + k], 2));
        var mean = new double[d];
        for (int j = 0; j < items; j++) for (int k = 0; k < d; k++) mean[k] += 2.0 * points[j * d + k] / items;
        double trace = 0;
        for (int j = 0; j < items; j++) for (int k = 0; k < d; k++) trace += Math.Pow(2.0 * points[j * d + k] - mean[k], 2);
        double ridge = foldInL2 * trace / items / d;

        var gradient = new double[d];
        int transitions = history.Length - 1;
        for (int t = 1; t < history.Length; t++)
        {
            int l = history[t - 1], i = history[t];
            double expected = negatives.Average(j => X(l, i) - X(l, j));
            for (int k = 0; k < d; k++)
            {
                double derivative = negatives.Average(j => 2.0 * (points[i * d + k] - points[j * d + k]));
                gradient[k] += -2 * (margin - expected) * derivative / transitions;
            }
        }
        for (int k = 0; k < d; k++) gradient[k] += 2 * ridge * offset[k];
        double norm = Math.Sqrt(gradient.Sum(g => g * g));
        Assert.True(norm < 1e-4, $"gradient norm {norm:E2}");

        // One item: no transition, t_u = 0.
        Assert.True(model.FoldIn([7], offset));
        Assert.All(offset, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Gru4Rec_serving_forward_matches_libtorch()
    {
        const int items = 30, embedding = 6, hidden = 5, steps = 7;
        using var network = new Gru4RecNetwork(items, embedding, hidden, dropout: 0, seed: 1);
        network.Initialize(new SeededRandom(2, BoundedIntegers.Full64Bits));
        network.eval();
        var (inputTable, recurrentWeights, recurrentBias, outputWeights, outputBias) = network.Export();
        var serving = new GruServingModel(1, items, hidden, maxLength: steps, inputTable, recurrentWeights, recurrentBias, outputWeights, outputBias, new float[items]);

        var rng = new SeededRandom(3, BoundedIntegers.Full64Bits);
        var sequences = new long[4, steps];
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < steps; t++)
                sequences[b, t] = rng.Next(items);
        var expected = network.FinalStates(sequences);

        var state = new float[hidden];
        for (int b = 0; b < 4; b++)
        {
            var history = Enumerable.Range(0, steps).Select(t => (int)sequences[b, t]).ToArray();
            Assert.Equal(steps, serving.Encode(history, state));
            for (int k = 0; k < hidden; k++)
                Assert.Equal(expected[b * hidden + k], state[k], 1e-5f);
            // A longer history is cut to the last maxLength items.
            Assert.Equal(steps, serving.Encode([1, 2, 3, .. history], state));
            for (int k = 0; k < hidden; k++)
                Assert.Equal(expected[b * hidden + k], state[k], 1e-5f);
        }
    }

    [Fact]
    public void Gru4Rec_known_users_score_as_their_folded_in_sequence()
    {
        var scores = new float[models.Gru4Rec.ItemCount];
        var folded = new float[models.Gru4Rec.ItemCount];
        for (int u = 0; u < 10; u++)
        {
            models.Gru4Rec.ScoreUser(u, scores);
            models.Gru4Rec.ScoreHistory(models.Data.Train.Sequences[u], folded);
            Assert.Equal(BprMfTests.Bits(scores), BprMfTests.Bits(folded));
        }
        var state = new float[models.Gru4Rec.HiddenSize];
        Assert.Equal(Math.Min(models.Data.Train.Sequences[0].Length, SequentialModels.Gru4RecOptions.MaxLength),
            models.Gru4Rec.Encode(models.Data.Train.Sequences[0], state));
    }

    private static byte[] HistoryScores(IRecommender model, int[] history)
    {
        var scores = new float[model.ItemCount];
        model.ScoreHistory(history, scores);
        return BprMfTests.Bits(scores);
    }

    private sealed class ListProgress(List<TrainProgress> reports, Action<TrainProgress>? after = null) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value)
        {
            reports.Add(value);
            after?.Invoke(value);
        }
    }
}
