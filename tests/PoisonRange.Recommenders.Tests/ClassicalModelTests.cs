using PoisonRange.Data;
using PoisonRange.Recommenders.Baselines;
using PoisonRange.Recommenders.Classical;

namespace PoisonRange.Recommenders.Tests;

/// <summary>
/// The classical models (WRMF by ALS and by Adam, ItemCF, rating MF, RWR) trained once on the
/// community data (and rating MF on a rated variant of it), shared by the test class.
/// </summary>
public sealed class ClassicalModels : IDisposable
{
    internal static readonly Dictionary<string, Dictionary<string, string>> Small = new()
    {
        ["wrmf"] = new() { ["factors"] = "8", ["epochs"] = "6", ["l2"] = "1" },
        ["wrmf-sgd"] = new() { ["factors"] = "8", ["epochs"] = "40", ["batchSize"] = "50", ["learningRate"] = "0.05", ["l2"] = "1" },
        ["itemcf"] = new() { ["neighbors"] = "20" },
        ["mf"] = new() { ["factors"] = "8", ["epochs"] = "8", ["l2"] = "0.5" },
        ["rwr"] = new(),
    };

    public const ulong Seed = 5;

    internal CommunityData Data { get; } = CommunityData.Create();
    internal RatedCommunity Rated { get; }
    internal PopRec Pop { get; } = new();
    internal PopRec RatedPop { get; } = new();
    internal Dictionary<string, IRecommender> Models { get; } = new();

    public ClassicalModels()
    {
        Rated = RatedCommunity.Create(Data);
        Pop.Fit(Data.Train);
        RatedPop.Fit(Rated.Train);
        foreach (var kind in Small.Keys)
        {
            var model = Create(kind);
            model.Fit(TrainOf(kind));
            Models[kind] = model;
        }
    }

    internal static IRecommender Create(string kind, ulong seed = Seed, int threads = 1, Dictionary<string, string>? extra = null)
    {
        var hyperParameters = new Dictionary<string, string>(Small[kind]);
        foreach (var (k, v) in extra ?? []) hyperParameters[k] = v;
        return RecommenderFactory.Create(kind, hyperParameters, seed, threads);
    }

    /// <summary>Rating MF learns from ratings, so it trains on the rated variant; the others on the implicit data.</summary>
    internal InteractionDataset TrainOf(string kind) => kind == "mf" ? Rated.Train : Data.Train;

    public void Dispose()
    {
        foreach (var model in Models.Values) model.Dispose();
    }
}

/// <summary>
/// The community data with ratings: every user rates its own community's items 5, the trending
/// items 3, and three items of the other community 1. Fitted to the observed cells only
/// (missing weight 0), rating MF needs the low ratings to tell the communities apart.
/// </summary>
internal sealed class RatedCommunity
{
    public required InteractionDataset Train { get; init; }

    public static RatedCommunity Create(CommunityData data)
    {
        var rng = new SeededRandom(17, BoundedIntegers.Full64Bits);
        int users = data.Train.UserCount;
        var sequences = new int[users][];
        var ratings = new float[users][];
        for (int u = 0; u < users; u++)
        {
            int other = 1 - data.CommunityOf[u];
            var disliked = Enumerable.Range(CommunityData.FirstItemOf(other), CommunityData.PerCommunity).ToArray();
            rng.Shuffle(disliked.AsSpan());
            sequences[u] = data.Train.Sequences[u].Concat(disliked[..3]).ToArray();
            ratings[u] = sequences[u].Select(i =>
                CommunityData.InCommunity(i, data.CommunityOf[u]) ? 5f : CommunityData.InCommunity(i, other) ? 1f : 3f).ToArray();
        }
        return new RatedCommunity { Train = data.Train.WithSequences(sequences, null, ratings, "rated-communities") };
    }
}

public sealed class ClassicalModelTests(ClassicalModels models) : IClassFixture<ClassicalModels>
{
    public static TheoryData<string> Kinds => new() { "wrmf", "wrmf-sgd", "itemcf", "mf", "rwr" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Learns_the_communities_clearly_better_than_popularity(string kind)
    {
        var train = models.TrainOf(kind);
        double pop = HitRatio(kind == "mf" ? models.RatedPop : models.Pop, train, models.Data.HeldOut);
        double hr = HitRatio(models.Models[kind], train, models.Data.HeldOut);
        Assert.True(hr >= 0.6 && hr >= pop + 0.4, $"{kind} HR@10 = {hr:F3}, PopRec = {pop:F3}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Checkpoint_round_trip_gives_bit_identical_scores(string kind)
    {
        var model = models.Models[kind];
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        using var viaFactory = RecommenderFactory.Load(stream);
        stream.Position = 0;
        using var viaInstance = RecommenderFactory.Create(kind, null, seed: 99);
        viaInstance.Load(stream);

        Assert.Equal(kind, viaFactory.Kind);
        var expected = BprMfTests.AllScores(model);
        Assert.Equal(expected, BprMfTests.AllScores(viaFactory));
        Assert.Equal(expected, BprMfTests.AllScores(viaInstance));
        var history = CommunityData.NewHistory(1, 8, 2, seed: 3);
        Assert.Equal(HistoryBits(model, history), HistoryBits(viaFactory, history));
        Assert.Equal(HistoryBits(model, []), HistoryBits(viaFactory, []));

        var bytes = stream.ToArray();
        Assert.Throws<InvalidDataException>(() => RecommenderFactory.Load(new MemoryStream(bytes[..(bytes.Length - 7)])));
        using var pop = new PopRec();
        Assert.Throws<InvalidDataException>(() => pop.Load(new MemoryStream(bytes)));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void An_unseen_history_folds_in_to_a_seen_free_ranking_of_its_community(string kind)
    {
        var model = models.Models[kind];
        foreach (var community in new[] { 0, 1 })
        {
            var history = CommunityData.NewHistory(community, length: 10, trending: 3, seed: 40 + (ulong)community);
            var top = new int[10];
            int n = model.RecommendHistory(history, excludeHistory: true, top);
            Assert.Equal(10, n);
            Assert.Empty(top.Intersect(history));
            int own = top.Count(i => CommunityData.InCommunity(i, community));
            int other = top.Count(i => CommunityData.InCommunity(i, 1 - community));
            // PopRec's top-10 is all trending items here (17 unseen ones).
            Assert.True(own >= 6 && other == 0, $"{kind}: top-10 {string.Join(",", top)} has {own} of community {community}, {other} of the other");
        }

        // An empty history ranks by popularity; order and repeats do not matter.
        var scores = new float[model.ItemCount];
        var top10 = new int[10];
        var popTop = new int[10];
        model.ScoreHistory([], scores);
        TopK.SelectInto(scores, top10);
        (kind == "mf" ? models.RatedPop : models.Pop).RecommendHistory([], false, popTop);
        Assert.Equal(popTop, top10);
        var sample = CommunityData.NewHistory(0, 9, 2, seed: 8);
        Assert.Equal(HistoryBits(model, sample), HistoryBits(model, sample.Reverse().Concat(sample[..4]).ToArray()));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ScoreHistory([model.ItemCount], scores));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Same_seed_gives_identical_scores(string kind)
    {
        using var a = ClassicalModels.Create(kind, threads: 2);
        using var b = ClassicalModels.Create(kind, threads: 2);
        a.Fit(models.TrainOf(kind));
        b.Fit(models.TrainOf(kind));
        Assert.Equal(BprMfTests.AllScores(a), BprMfTests.AllScores(b));
        Assert.Equal(BprMfTests.AllScores(models.Models[kind]).Length, BprMfTests.AllScores(a).Length);
        if (kind is "wrmf" or "wrmf-sgd" or "mf")
        {
            using var c = ClassicalModels.Create(kind, seed: ClassicalModels.Seed + 1, threads: 2);
            c.Fit(models.TrainOf(kind));
            Assert.NotEqual(BprMfTests.AllScores(a), BprMfTests.AllScores(c));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Scoring_is_thread_safe(string kind)
    {
        var model = models.Models[kind];
        var expected = BprMfTests.AllScores(model);
        var actual = new byte[model.UserCount][];
        Parallel.For(0, model.UserCount * 3, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            int u = t % model.UserCount;
            var scores = new float[model.ItemCount];
            model.ScoreUser(u, scores);
            actual[u] = BprMfTests.Bits(scores);
        });
        Assert.Equal(expected, actual.SelectMany(x => x).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ScoreUser(model.UserCount, new float[model.ItemCount]));
        Assert.Throws<ArgumentException>(() => model.ScoreUser(0, new float[model.ItemCount + 1]));
    }

    [Theory]
    [InlineData("wrmf", "factors", "0")]
    [InlineData("wrmf", "positiveWeight", "0.5")]
    [InlineData("wrmf", "l2", "-1")]
    [InlineData("wrmf", "epochs", "many")]
    [InlineData("wrmf-sgd", "learningRate", "0")]
    [InlineData("wrmf-sgd", "batchSize", "0")]
    [InlineData("wrmf-sgd", "finalLearningRateFactor", "0")]
    [InlineData("wrmf-sgd", "finalLearningRateFactor", "1.5")]
    [InlineData("itemcf", "neighbors", "0")]
    [InlineData("itemcf", "similarity", "cosine")]
    [InlineData("mf", "l2", "NaN")]
    [InlineData("mf", "useRatings", "maybe")]
    [InlineData("mf", "missingWeight", "1.5")]
    [InlineData("mf", "missingWeight", "-0.1")]
    [InlineData("mf", "scale", "cubic")]
    [InlineData("rwr", "restartProbability", "1")]
    [InlineData("rwr", "iterations", "0")]
    [InlineData("rwr", "tolerance", "-0.1")]
    public void Bad_hyper_parameters_give_a_clear_error(string kind, string name, string value)
    {
        var error = Assert.Throws<HyperParameterException>(() => RecommenderFactory.Create(kind, new Dictionary<string, string> { [name] = value }, 1));
        Assert.Equal(kind, error.Kind);
        Assert.Contains($"'{name}'", error.Message);
        if (!error.Message.StartsWith("Unknown", StringComparison.Ordinal)) Assert.Contains(value, error.Message);
        Assert.DoesNotContain("seed", error.ValidNames);
    }

    [Fact]
    public void Untrained_models_refuse_to_score()
    {
        foreach (var kind in ClassicalModels.Small.Keys)
        {
            using var model = RecommenderFactory.Create(kind, null, 1);
            Assert.Equal(0, model.ItemCount);
            Assert.Throws<InvalidOperationException>(() => model.ScoreUser(0, new float[3]));
            Assert.Throws<InvalidOperationException>(() => model.Save(new MemoryStream()));
        }
    }

    [Fact]
    public void Wrmf_als_loss_never_rises_and_fold_in_reproduces_trained_users_exactly()
    {
        var reports = new List<TrainProgress>();
        using var model = (Wrmf)ClassicalModels.Create("wrmf");
        model.Fit(models.Data.Train, new ListProgress(reports));
        Assert.Equal(Enumerable.Range(1, 6), reports.Select(r => r.Epoch));
        for (int t = 1; t < reports.Count; t++)
            Assert.True(reports[t].Loss <= reports[t - 1].Loss * (1 + 1e-6), string.Join(", ", reports.Select(r => r.Loss)));

        // Each sweep ends with the closed-form user step, which is the fold-in rule.
        var vector = new float[model.Factors];
        for (int u = 0; u < models.Data.Train.UserCount; u += 17)
        {
            Assert.True(model.FoldIn(models.Data.Train.Sequences[u], vector));
            Assert.Equal(model.GetUserVector(u), vector);
        }
    }

    [Fact]
    public void Wrmf_als_does_not_depend_on_the_thread_count()
    {
        using var one = ClassicalModels.Create("wrmf", threads: 1);
        using var two = ClassicalModels.Create("wrmf", threads: 2);
        one.Fit(models.Data.Train);
        two.Fit(models.Data.Train);
        Assert.Equal(BprMfTests.AllScores(one), BprMfTests.AllScores(two));
    }

    [Fact]
    public void Wrmf_sgd_loss_falls_and_its_fold_in_agrees_with_trained_users()
    {
        var reports = new List<TrainProgress>();
        using var model = (WrmfSgd)ClassicalModels.Create("wrmf-sgd", extra: new() { ["epochs"] = "10" });
        model.Fit(models.Data.Train, new ListProgress(reports));
        Assert.Equal(10, reports.Count);
        Assert.True(reports[^1].Loss < reports[0].Loss, string.Join(", ", reports.Select(r => r.Loss)));

        var sgd = (WrmfSgd)models.Models["wrmf-sgd"];
        double overlap = TrainedVersusFoldedOverlap(sgd, models.Data.Train);
        Assert.True(overlap >= 0.7, $"mean top-10 overlap {overlap:F3}");
    }

    [Fact]
    public void Wrmf_sgd_step_size_falls_linearly_to_its_final_factor()
    {
        var options = new WrmfSgdOptions { LearningRate = 0.02, FinalLearningRateFactor = 0.1 };
        Assert.Equal(0.02, WrmfSgd.ScheduledLearningRate(options, 0, 11), 12);
        Assert.Equal(0.011, WrmfSgd.ScheduledLearningRate(options, 5, 11), 12);
        Assert.Equal(0.002, WrmfSgd.ScheduledLearningRate(options, 10, 11), 12);
        Assert.Equal(0.02, WrmfSgd.ScheduledLearningRate(options, 0, 1), 12);
        var constant = options with { FinalLearningRateFactor = 1 };
        Assert.All(new[] { 0L, 4, 10 }, step => Assert.Equal(0.02, WrmfSgd.ScheduledLearningRate(constant, step, 11), 12));
    }

    [Fact]
    public void Wrmf_sgd_with_a_falling_step_ends_at_a_lower_objective_than_at_a_constant_one()
    {
        // Adam at a constant step keeps jittering around the minimum; letting the step fall removes that floor.
        // The floor shows once training is long enough to reach it (here 400 epochs; after 40 the constant step is still ahead).
        double FinalLoss(string factor)
        {
            var reports = new List<TrainProgress>();
            using var model = ClassicalModels.Create("wrmf-sgd", extra: new() { ["finalLearningRateFactor"] = factor, ["epochs"] = "400" });
            model.Fit(models.Data.Train, new ListProgress(reports));
            return reports[^1].Loss;
        }
        double constant = FinalLoss("1"), falling = FinalLoss("0.1");
        Assert.True(falling < constant, $"final loss {falling:G6} with a falling step, {constant:G6} at a constant one");
    }

    [Fact]
    public void Rating_mf_fits_the_ratings_and_folds_in_exactly_without_them()
    {
        var mf = (RatingMf)models.Models["mf"];
        var train = models.Rated.Train;
        // Predicted ratings follow the planted ratings.
        var scores = new float[mf.ItemCount];
        double own = 0, other = 0;
        int ownCount = 0, otherCount = 0;
        for (int u = 0; u < train.UserCount; u++)
        {
            mf.ScoreUser(u, scores);
            for (int t = 0; t < train.Sequences[u].Length; t++)
            {
                if (train.Ratings![u][t] == 5) { own += scores[train.Sequences[u][t]]; ownCount++; }
                if (train.Ratings![u][t] == 1) { other += scores[train.Sequences[u][t]]; otherCount++; }
            }
        }
        Assert.InRange(own / ownCount, 4.0, 5.5);
        Assert.InRange(other / otherCount, 0.0, 2.5);
        Assert.Equal(train.Ratings!.SelectMany(r => r).Average(), mf.MeanRating, 5);
        Assert.Equal(3.0, mf.FoldInRating(0), 5); // a trending item: everyone rates it 3

        // With unit ratings the fold-in is the exact user step of the last sweep.
        using var implicitMf = (RatingMf)ClassicalModels.Create("mf", extra: new() { ["useRatings"] = "false" });
        implicitMf.Fit(train);
        var vector = new float[implicitMf.Factors];
        for (int u = 0; u < train.UserCount; u += 23)
        {
            Assert.True(implicitMf.FoldIn(train.Sequences[u], vector));
            Assert.Equal(implicitMf.GetUserVector(u), vector);
        }
    }

    [Fact]
    public void Rating_mf_ranks_implicit_data_only_with_its_missing_cells_counted()
    {
        // Every observed r = 1: Eq. 1 over the observed cells alone is fitted by predicting 1 everywhere.
        var train = models.Data.Train;
        double pop = HitRatio(models.Pop, train, models.Data.HeldOut);
        using var weighted = ClassicalModels.Create("mf");
        using var observedOnly = ClassicalModels.Create("mf", extra: new() { ["missingWeight"] = "0" });
        weighted.Fit(train);
        observedOnly.Fit(train);
        double hr = HitRatio(weighted, train, models.Data.HeldOut);
        double hrObservedOnly = HitRatio(observedOnly, train, models.Data.HeldOut);
        Assert.Equal(RatingMfOptions.Defaults.MissingWeight, ((RatingMf)weighted).Options.MissingWeight);
        Assert.True(hr >= 0.6 && hr >= pop + 0.4, $"mf HR@10 = {hr:F3}, PopRec = {pop:F3}");
        Assert.True(hrObservedOnly <= hr - 0.3, $"observed cells only: HR@10 = {hrObservedOnly:F3}, with the missing cells {hr:F3}");
    }

    [Fact]
    public void Rating_mf_reports_its_objective_with_the_weighted_missing_cells()
    {
        var data = Dataset([[0, 1, 2], [1, 3], [0, 2, 4], [3, 4], [1, 2]], items: 5,
            ratings: [[5, 3, 1], [4, 2], [2, 5, 3], [1, 4], [5, 4]]);
        const double alpha = 0.25, lambda = 0.7;
        var reports = new List<TrainProgress>();
        using var model = new RatingMf(new RatingMfOptions { Factors = 3, Epochs = 6, L2 = lambda, MissingWeight = alpha, Seed = 2 });
        model.Fit(data, new ListProgress(reports));
        for (int t = 1; t < reports.Count; t++)
            Assert.True(reports[t].Loss <= reports[t - 1].Loss * (1 + 1e-6), string.Join(", ", reports.Select(r => r.Loss)));

        // Σ_E (r − s)² + α Σ_{∉E} s² + λ(‖X‖² + ‖Y‖²), per observed pair, computed cell by cell.
        var itemFactors = model.GetItemFactors();
        double objective = 0, squaredNorms = itemFactors.Sum(v => (double)v * v);
        for (int u = 0; u < data.UserCount; u++)
        {
            var x = model.GetUserVector(u);
            squaredNorms += x.Sum(v => (double)v * v);
            for (int i = 0; i < data.ItemCount; i++)
            {
                double s = 0;
                for (int k = 0; k < x.Length; k++) s += (double)x[k] * itemFactors[i * x.Length + k];
                int t = Array.IndexOf(data.Sequences[u], i);
                objective += t >= 0 ? (data.Ratings![u][t] - s) * (data.Ratings![u][t] - s) : alpha * s * s;
            }
        }
        objective = (objective + lambda * squaredNorms) / data.InteractionCount;
        Assert.Equal(objective, reports[^1].Loss, objective * 1e-5);
    }

    [Fact]
    public void Rating_mf_reads_counts_on_a_log_scale()
    {
        int[][] sequences = [[0, 1, 2], [1, 3], [0, 2, 4], [3, 4], [1, 2]];
        float[][] counts = [[500, 30, 2], [41, 7], [3, 900, 12], [1, 77], [250, 64]];
        var countData = Dataset(sequences, items: 5, ratings: counts);
        var logData = Dataset(sequences, items: 5, ratings: counts.Select(r => r.Select(c => (float)Math.Log(1 + (double)c)).ToArray()).ToArray());
        var options = new RatingMfOptions { Factors = 3, Epochs = 5, L2 = 0.5, Seed = 4 };
        using var auto = new RatingMf(options);
        using var log = new RatingMf(options with { Scale = RatingScale.Log });
        using var raw = new RatingMf(options with { Scale = RatingScale.Raw });
        using var preLogged = new RatingMf(options with { Scale = RatingScale.Raw });
        auto.Fit(countData);
        log.Fit(countData);
        raw.Fit(countData);
        preLogged.Fit(logData);
        // Counts above the star range are read as log(1 + count) by default; raw counts fit something else.
        Assert.Equal(BprMfTests.AllScores(preLogged), BprMfTests.AllScores(auto));
        Assert.Equal(BprMfTests.AllScores(preLogged), BprMfTests.AllScores(log));
        Assert.NotEqual(BprMfTests.AllScores(preLogged), BprMfTests.AllScores(raw));
        Assert.Equal((Math.Log(1 + 500.0) + Math.Log(1 + 3.0)) / 2, auto.FoldInRating(0), 5); // the mean of the logged values

        // Star ratings stay as they are.
        using var stars = new RatingMf(options);
        using var starsRaw = new RatingMf(options with { Scale = RatingScale.Raw });
        stars.Fit(logData);
        starsRaw.Fit(logData);
        Assert.Equal(BprMfTests.AllScores(starsRaw), BprMfTests.AllScores(stars));

        var negative = Dataset(sequences, items: 5, ratings: counts.Select(r => r.Select(c => c - 5).ToArray()).ToArray());
        var error = Assert.Throws<ArgumentException>(() => log.Fit(negative));
        Assert.Contains("log scale", error.Message);
        Assert.Contains("-3", error.Message);
        Assert.Equal(BprMfTests.AllScores(preLogged), BprMfTests.AllScores(log)); // the failed fit left the model serving
    }

    [Fact]
    public void ItemCf_keeps_the_k_most_jaccard_similar_items_and_sums_their_votes()
    {
        // Users: {0,1,2}, {0,1}, {1,2}, {0,3}. |U_0| = 3, |U_1| = 3, |U_2| = 2, |U_3| = 1.
        var data = Dataset([[0, 1, 2], [0, 1], [1, 2], [0, 3]], items: 4);
        using var model = new ItemCf(new ItemCfOptions { Neighbors = 2 });
        model.Fit(data);
        var (ids, sims) = model.NeighborsOf(0);
        // J(0,1) = 2/4, J(0,3) = 1/3, J(0,2) = 1/4: the two best are 1 and 3.
        Assert.Equal([1, 3], ids);
        Assert.Equal(0.5f, sims[0], 6);
        Assert.Equal(1f / 3, sims[1], 6);
        (ids, _) = model.NeighborsOf(2);
        Assert.Equal([1, 0], ids); // J(2,1) = 2/3, J(2,0) = 1/4, J(2,3) = 0 (never co-occurs)

        var scores = new float[4];
        model.ScoreHistory([0, 2], scores);
        // Votes: item 0 → {1: 1/2, 3: 1/3}; item 2 → {1: 2/3, 0: 1/4}.
        Assert.Equal(0.5f + 2f / 3, scores[1], 6);
        Assert.Equal(1f / 3, scores[3], 6);
        Assert.Equal(0.25f, scores[0], 6);
        // Item 2 gets no vote: below every voted item.
        Assert.True(scores[2] < 0);

        // Exact fold-in: a training user's history scores like the user.
        var trained = new float[4];
        model.ScoreUser(0, trained);
        model.ScoreHistory([2, 1, 0, 1], scores);
        Assert.Equal(trained, scores);
    }

    [Fact]
    public void Rwr_matches_the_closed_form_stationary_distribution()
    {
        // p = α (I − (1 − α) Q)⁻¹ e_u on a small weighted graph, solved densely.
        var data = Dataset([[0, 1], [1, 2, 3], [0, 3], [2]], items: 4, ratings: [[5, 1], [2, 4, 3], [1, 1], [2]]);
        const double alpha = 0.3;
        using var model = new Rwr(new RwrOptions { RestartProbability = alpha, Iterations = 500, Tolerance = 0 });
        model.Fit(data);
        var scores = new float[4];
        for (int u = 0; u < 4; u++)
        {
            model.ScoreUser(u, scores);
            var expected = DenseRwr(data, u, alpha);
            for (int i = 0; i < 4; i++) Assert.Equal(expected[4 + i], scores[i], 5);
        }
    }

    [Fact]
    public void Rwr_fold_in_equals_the_walk_on_a_graph_rebuilt_with_the_user()
    {
        var train = models.Data.Train;
        var history = CommunityData.NewHistory(0, 9, 3, seed: 77);
        var extended = new InteractionDataset("extended",
            train.UserIds.Append("new").ToArray(), train.ItemIds,
            train.Sequences.Append(history).ToArray(), null, null);
        using var rebuilt = (Rwr)RecommenderFactory.Create("rwr", new Dictionary<string, string> { ["tolerance"] = "0", ["iterations"] = "200" }, 1);
        rebuilt.Fit(extended);
        using var model = (Rwr)RecommenderFactory.Create("rwr", new Dictionary<string, string> { ["tolerance"] = "0", ["iterations"] = "200" }, 1);
        model.Fit(train);

        var expected = new float[model.ItemCount];
        var folded = new float[model.ItemCount];
        rebuilt.ScoreUser(train.UserCount, expected);
        model.ScoreHistory(history, folded);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], folded[i], 6);
    }

    [Fact]
    public void Cancellation_stops_fit_and_keeps_the_previous_model()
    {
        foreach (var kind in new[] { "wrmf", "wrmf-sgd", "mf" })
        {
            var model = models.Models[kind];
            var before = BprMfTests.AllScores(model);
            Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(models.TrainOf(kind), null, new CancellationToken(canceled: true)));
            Assert.Equal(before, BprMfTests.AllScores(model));

            using var cts = new CancellationTokenSource();
            using var longer = ClassicalModels.Create(kind, extra: new() { ["epochs"] = "1000" });
            var reports = new List<TrainProgress>();
            Assert.ThrowsAny<OperationCanceledException>(() => longer.Fit(models.TrainOf(kind), new ListProgress(reports, _ => cts.Cancel()), cts.Token));
            Assert.Single(reports);
            Assert.Equal(0, longer.ItemCount);
        }
    }

    private static double TrainedVersusFoldedOverlap(IRecommender model, InteractionDataset train)
    {
        var trained = new float[model.ItemCount];
        var folded = new float[model.ItemCount];
        var a = new int[10];
        var b = new int[10];
        double overlap = 0;
        for (int u = 0; u < train.UserCount; u++)
        {
            model.ScoreUser(u, trained);
            model.ScoreHistory(train.Sequences[u], folded);
            RecommenderExtensions.ExcludeItems(trained, train.Sequences[u]);
            RecommenderExtensions.ExcludeItems(folded, train.Sequences[u]);
            TopK.SelectInto(trained, a);
            TopK.SelectInto(folded, b);
            overlap += a.Intersect(b).Count() / 10.0;
        }
        return overlap / train.UserCount;
    }

    /// <summary>Dense RWR over users then items: node order 0..U−1 users, U..U+I−1 items.</summary>
    private static double[] DenseRwr(InteractionDataset data, int start, double alpha)
    {
        int users = data.UserCount, items = data.ItemCount, n = users + items;
        var weight = new double[n, n];
        for (int u = 0; u < users; u++)
            for (int t = 0; t < data.Sequences[u].Length; t++)
            {
                int i = users + data.Sequences[u][t];
                weight[u, i] = weight[i, u] = data.Ratings?[u][t] ?? 1;
            }
        // M = I − (1 − α) Pᵀ with P row-stochastic; solve M p = α e.
        var m = new double[n, n + 1];
        for (int x = 0; x < n; x++)
        {
            double degree = 0;
            for (int y = 0; y < n; y++) degree += weight[x, y];
            for (int y = 0; y < n; y++)
                if (weight[x, y] > 0) m[y, x] -= (1 - alpha) * weight[x, y] / degree;
        }
        for (int x = 0; x < n; x++) m[x, x] += 1;
        m[start, n] = alpha;
        for (int c = 0; c < n; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[pivot, c])) pivot = r;
            for (int k = 0; k <= n; k++) (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = m[r, c] / m[c, c];
                for (int k = c; k <= n; k++) m[r, k] -= f * m[c, k];
            }
        }
        var p = new double[n];
        for (int x = 0; x < n; x++) p[x] = m[x, n] / m[x, x];
        return p;
    }

    private static InteractionDataset Dataset(int[][] sequences, int items, float[][]? ratings = null)
        => new("tiny", Enumerable.Range(0, sequences.Length).Select(u => $"u{u}").ToArray(),
            Enumerable.Range(0, items).Select(i => $"i{i}").ToArray(), sequences, null, ratings);

    /// <summary>HR@10 of the community's held-out items, the user's training items excluded.</summary>
    private static double HitRatio(IRecommender model, InteractionDataset train, int[] heldOut)
    {
        var scores = new float[model.ItemCount];
        var top = new int[10];
        int hits = 0;
        for (int u = 0; u < train.UserCount; u++)
        {
            model.ScoreUser(u, scores);
            RecommenderExtensions.ExcludeItems(scores, train.Sequences[u]);
            int n = TopK.SelectInto(scores, top);
            if (top.AsSpan(0, n).Contains(heldOut[u])) hits++;
        }
        return (double)hits / train.UserCount;
    }

    private static byte[] HistoryBits(IRecommender model, int[] history)
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
