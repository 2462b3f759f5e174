using PoisonRange.Recommenders.Baselines;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Tests;

public sealed class BprMfTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    [Fact]
    public void Learns_the_communities_clearly_better_than_popularity()
    {
        double pop = models.Data.HitRatio(models.Pop);
        double bpr = models.Data.HitRatio(models.Bpr);

        Assert.True(bpr >= 0.6, $"BPR-MF HR@10 = {bpr:F3}, PopRec = {pop:F3}");
        Assert.True(bpr >= pop + 0.4, $"BPR-MF HR@10 = {bpr:F3}, PopRec = {pop:F3}");
    }

    [Fact]
    public void Default_settings_learn_a_sparse_planted_pattern()
    {
        // Six training items per user, as sparse as the Gowalla sample; default λ, epochs, step and batch.
        var data = CommunityData.Create(users: 2000, trendingPerUser: 2, communityPerUser: 4, seed: 9);
        using var pop = new PopRec();
        pop.Fit(data.Train);
        using var model = new BprMf(new BprMfOptions { Seed = 3 });
        model.Fit(data.Train);

        double hr = data.HitRatio(model), popHr = data.HitRatio(pop);
        // Ranking the user's 21 unseen community items first, in any order, hits 10/21 = 0.476 on average.
        Assert.True(hr >= 0.35 && hr >= popHr + 0.3, $"BPR-MF HR@10 = {hr:F3}, PopRec = {popHr:F3}");
    }

    [Fact]
    public void Reports_one_progress_per_epoch_with_falling_loss()
    {
        var reports = new List<TrainProgress>();
        using var model = new BprMf(TrainedModels.SmallOptions with { Epochs = 5 });
        model.Fit(models.Data.Train, new ListProgress(reports));

        Assert.Equal([1, 2, 3, 4, 5], reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.Equal(5, r.Epochs));
        Assert.True(reports[^1].Loss < reports[0].Loss, string.Join(", ", reports.Select(r => r.Loss)));
        Assert.Equal(models.Data.Train.UserCount, model.UserCount);
        Assert.Equal(models.Data.Train.ItemCount, model.ItemCount);
    }

    [Fact]
    public void Same_seed_gives_identical_scores_and_another_seed_does_not()
    {
        var options = TrainedModels.SmallOptions with { Epochs = 4, Threads = 2 };
        using var a = new BprMf(options);
        using var b = new BprMf(options);
        using var c = new BprMf(options with { Seed = options.Seed + 1 });
        a.Fit(models.Data.Train);
        b.Fit(models.Data.Train);
        c.Fit(models.Data.Train);

        Assert.Equal(AllScores(a), AllScores(b));
        Assert.NotEqual(AllScores(a), AllScores(c));
    }

    [Fact]
    public void A_falling_step_changes_the_fit_and_still_learns()
    {
        using var constant = new BprMf(TrainedModels.SmallOptions with { Epochs = 6 });
        using var falling = new BprMf(TrainedModels.SmallOptions with { Epochs = 6, FinalLearningRateFactor = 0.1 });
        constant.Fit(models.Data.Train);
        falling.Fit(models.Data.Train);

        Assert.NotEqual(AllScores(constant), AllScores(falling));
        double hr = models.Data.HitRatio(falling);
        Assert.True(hr >= 0.5, $"HR@10 = {hr:F3}");
    }

    [Fact]
    public void Sgd_trains_too()
    {
        using var model = new BprMf(TrainedModels.SmallOptions with { Optimizer = OptimizerKind.Sgd, LearningRate = 0.5, Epochs = 40, UseItemBias = false });
        model.Fit(models.Data.Train);
        double hr = models.Data.HitRatio(model);
        Assert.True(hr >= 0.5, $"HR@10 = {hr:F3}");
    }

    [Fact]
    public void Cancellation_stops_fit_and_keeps_the_previous_model()
    {
        using var model = new BprMf(TrainedModels.SmallOptions with { Epochs = 2 });
        model.Fit(models.Data.Train);
        var before = AllScores(model);

        using var cts = new CancellationTokenSource();
        var reports = new List<TrainProgress>();
        var progress = new ListProgress(reports, after: _ => cts.Cancel());
        using var longer = new BprMf(TrainedModels.SmallOptions with { Epochs = 1000 });
        Assert.ThrowsAny<OperationCanceledException>(() => longer.Fit(models.Data.Train, progress, cts.Token));
        Assert.Single(reports);
        Assert.Equal(0, longer.ItemCount);

        Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(models.Data.Train, null, new CancellationToken(canceled: true)));
        Assert.Equal(before, AllScores(model));
    }

    [Fact]
    public void Scoring_is_thread_safe()
    {
        var expected = AllScores(models.Bpr);
        var actual = new byte[models.Bpr.UserCount][];
        Parallel.For(0, models.Bpr.UserCount * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            int u = t % models.Bpr.UserCount;
            var scores = new float[models.Bpr.ItemCount];
            models.Bpr.ScoreUser(u, scores);
            actual[u] = Bits(scores);
        });
        Assert.Equal(expected, actual.SelectMany(b => b).ToArray());
    }

    [Fact]
    public void Rejects_bad_calls_clearly()
    {
        using var untrained = new BprMf();
        Assert.Throws<InvalidOperationException>(() => untrained.ScoreUser(0, new float[3]));
        var scores = new float[models.Bpr.ItemCount];
        Assert.Throws<ArgumentOutOfRangeException>(() => models.Bpr.ScoreUser(models.Bpr.UserCount, scores));
        Assert.Throws<ArgumentException>(() => models.Bpr.ScoreUser(0, new float[models.Bpr.ItemCount - 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => models.Bpr.ScoreHistory([models.Bpr.ItemCount], scores));
    }

    internal static byte[] AllScores(IRecommender model)
    {
        var all = new List<byte>();
        var scores = new float[model.ItemCount];
        for (int u = 0; u < model.UserCount; u++)
        {
            model.ScoreUser(u, scores);
            all.AddRange(Bits(scores));
        }
        return [.. all];
    }

    internal static byte[] Bits(float[] scores) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(scores.AsSpan()).ToArray();

    private sealed class ListProgress(List<TrainProgress> reports, Action<TrainProgress>? after = null) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value)
        {
            reports.Add(value);
            after?.Invoke(value);
        }
    }
}
