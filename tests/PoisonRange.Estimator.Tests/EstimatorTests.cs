using PoisonRange.Data;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Influence;

namespace PoisonRange.Estimator.Tests;

/// <summary>One tiny data set and one trained model of each kind, shared (the estimator and refits leave models unchanged).</summary>
public sealed class TinyFixture : IDisposable
{
    public InteractionDataset Train { get; } = TinyModels.Data();
    public BprMf Bpr { get; }
    public BprMf BprOtherSeed { get; }
    public PoisonRange.Recommenders.Sequential.Gru4Rec Gru { get; }
    public PoisonRange.Recommenders.Sequential.Fpmc Fpmc { get; }
    public PoisonRange.Recommenders.Sequential.TransRec TransRec { get; }

    public TinyFixture()
    {
        Bpr = TinyModels.Bpr(Train, seed: 1);
        BprOtherSeed = TinyModels.Bpr(Train, seed: 2);
        Gru = TinyModels.Gru(Train);
        Fpmc = TinyModels.Fpmc(Train);
        TransRec = TinyModels.TransRec(Train);
    }

    /// <summary>The shared model of a kind ("bprmf", "fpmc", "gru4rec", "transrec").</summary>
    public IRecommender Model(string kind) => kind switch
    {
        "bprmf" => Bpr,
        "fpmc" => Fpmc,
        "gru4rec" => Gru,
        "transrec" => TransRec,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"No tiny model of kind '{kind}'."),
    };

    public void Dispose()
    {
        Bpr.Dispose();
        BprOtherSeed.Dispose();
        Gru.Dispose();
        Fpmc.Dispose();
        TransRec.Dispose();
    }
}

public sealed class EstimatorTests(TinyFixture fixture) : IClassFixture<TinyFixture>
{
    private static readonly TargetPair[] Targets = [new(0, 3), new(5, 3), new(2, 7)];

    /// <summary>Damping that makes H + λI positive definite and the scale above its largest eigenvalue.</summary>
    internal static (double Damping, double Scale) Conditioning(double[,] hessian, bool wellConditioned = true)
    {
        var eigen = TinyModels.Eigenvalues(hessian);
        if (!wellConditioned)
        {
            double light = Math.Max(0.05, -eigen[0] + 0.05);
            return (light, (eigen[^1] + light) * 1.05);
        }
        // Positive definite, and conditioned (κ ≲ 20) so the deterministic recursion converges in a few hundred steps.
        double damping = Math.Max(0.05, eigen[^1] / 20) - Math.Min(eigen[0], 0);
        return (damping, (eigen[^1] + damping) * 1.05);
    }

    [Theory]
    [InlineData("bprmf")]
    [InlineData("gru4rec")]
    [InlineData("fpmc")]
    [InlineData("transrec")]
    public async Task Lissa_matches_the_exact_inverse_Hessian_product(string kind)
    {
        var train = fixture.Train;
        var model = fixture.Model(kind);
        double[,] hessian;
        using (var view = InfluenceModels.Create(model, train))
            hessian = TinyModels.DenseHessian(view);
        Assert.True(hessian.GetLength(0) < 200, $"tiny model has {hessian.GetLength(0)} parameters");
        var (damping, scale) = Conditioning(hessian);
        var options = new LissaOptions { Damping = damping, Scale = scale, Depth = 200_000, Tolerance = 1e-10, BatchSize = 0 };
        using var estimator = new InfluenceEstimator([(model, 1.0)], train, Targets, options);
        var build = await estimator.BuildCacheAsync();
        Assert.Equal(SolveStatus.Converged, build.Models[0].Result.Status);

        using var check = InfluenceModels.Create(model, train);
        for (int pair = 0; pair < Targets.Length; pair++)
        {
            double[] gradient;
            using (var scope = TorchSharp.torch.NewDisposeScope())
            {
                var score = check.TargetScores([Targets[pair]]).sum();
                gradient = TinyModels.Flatten(TorchSharp.torch.autograd.grad([score], check.Parameters.ToArray(), allow_unused: true));
            }
            var exact = TinyModels.Solve(hessian, damping, gradient);
            var lissa = estimator.Solution(0, pair);
            Assert.True(TinyModels.RelativeError(lissa, exact) < 1e-5, $"{kind} pair {pair}: relative error {TinyModels.RelativeError(lissa, exact):G3}");
        }
    }

    [Fact]
    public async Task Stochastic_lissa_is_deterministic_for_a_seed_and_varies_with_it()
    {
        var train = fixture.Train;
        var model = fixture.Bpr;
        var options = new LissaOptions { Damping = 0.5, Scale = 50, Depth = 150, Repeats = 2, Tolerance = 0, BatchSize = 16, Seed = 3 };
        double[] Solve(LissaOptions o)
        {
            using var estimator = new InfluenceEstimator([(model, 1.0)], train, [Targets[0]], o);
            estimator.BuildCacheAsync().GetAwaiter().GetResult();
            return estimator.Solution(0, 0);
        }
        var first = Solve(options);
        Assert.Equal(first, Solve(options));
        Assert.NotEqual(first, Solve(options with { Seed = 4 }));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Predicted_changes_order_profiles_like_an_actual_refit()
    {
        var train = fixture.Train;
        var model = fixture.Bpr;
        double[,] hessian;
        using (var view = InfluenceModels.Create(model, train)) hessian = TinyModels.DenseHessian(view);
        var (damping, scale) = Conditioning(hessian, wellConditioned: false);
        var targets = new[] { new TargetPair(0, 3), new TargetPair(4, 3) };
        using var estimator = new InfluenceEstimator([(model, 1.0)], train, targets,
            new LissaOptions { Damping = damping, Scale = scale, Depth = 200_000, Tolerance = 1e-10, BatchSize = 0 });
        await estimator.BuildCacheAsync();
        var profiles = new List<int[]>
        {
            new[] { 3, 3, 3 }, new[] { 3, 1 }, new[] { 3, 8, 9 }, new[] { 0, 1, 2 }, new[] { 5, 6 }, new[] { 10, 11, 4 }, new[] { 3, 10 }, new[] { 7, 2 },
        };
        var predicted = estimator.ScoreProfiles(profiles);

        using var view2 = InfluenceModels.Create(model, train);
        var refit = new RefitOptions { Steps = 3000, LearningRate = 1 / scale, BatchUnits = 0 };
        var control = InfluenceRefit.Run(view2, [], targets, refit).Sum();
        var actual = profiles.Select(p => InfluenceRefit.Run(view2, [p], targets, refit).Sum() - control).ToArray();

        // The refit also trains the new user's vector from its fold-in, which the estimate holds
        // fixed, so agreement is partial: the profile pushing the target item alone must raise it in
        // both, the profile that lowers the targets most must be the same, and the values correlate.
        string detail = $"predicted [{string.Join(", ", predicted.Select(v => v.ToString("G3")))}], actual [{string.Join(", ", actual.Select(v => v.ToString("G3")))}]";
        Assert.True(predicted[0] > 0 && actual[0] > 0, detail);
        Assert.Equal(Array.IndexOf(actual, actual.Min()), Array.IndexOf(predicted, predicted.Min()));
        Assert.True(TinyModels.Pearson(predicted, actual) > 0.5, $"Pearson {TinyModels.Pearson(predicted, actual):F2}; {detail}");
    }

    [Fact]
    public async Task Cache_is_reused_for_the_same_model_and_invalidated_when_it_changes()
    {
        var train = fixture.Train;
        var model = fixture.Bpr;
        var retrained = fixture.BprOtherSeed;
        var cache = new InfluenceCache();
        var options = new LissaOptions { Damping = 0.5, Scale = 50, Depth = 200, BatchSize = 0 };

        using var first = new InfluenceEstimator([(model, 1.0)], train, Targets, options, cache);
        Assert.False((await first.BuildCacheAsync()).Models[0].CacheHit);
        var scores = first.ScoreProfiles([[3, 4], [1]]);

        using var again = new InfluenceEstimator([(model, 1.0)], train, Targets, options, cache);
        Assert.True((await again.BuildCacheAsync()).Models[0].CacheHit);
        Assert.Equal(scores, again.ScoreProfiles([[3, 4], [1]]));

        using var changed = new InfluenceEstimator([(retrained, 1.0)], train, Targets, options, cache);
        Assert.False((await changed.BuildCacheAsync()).Models[0].CacheHit);
        Assert.NotEqual(scores, changed.ScoreProfiles([[3, 4], [1]]));

        using var otherOptions = new InfluenceEstimator([(model, 1.0)], train, Targets, options with { Damping = 0.6 }, cache);
        Assert.False((await otherOptions.BuildCacheAsync()).Models[0].CacheHit);
        using var otherTargets = new InfluenceEstimator([(model, 1.0)], train, Targets[..2], options, cache);
        Assert.False((await otherTargets.BuildCacheAsync()).Models[0].CacheHit);
        Assert.Equal(4, cache.Count);
    }

    [Fact]
    public async Task Ensemble_scores_are_the_weighted_sum_of_the_models()
    {
        var train = fixture.Train;
        var bpr = fixture.Bpr;
        var gru = fixture.Gru;
        var options = new LissaOptions { Damping = 0.5, Scale = 50, Depth = 100, BatchSize = 0 };
        int[][] profiles = [[3, 4, 5], [7, 3], [1, 2, 3, 4, 5, 6]];
        using var a = new InfluenceEstimator([(bpr, 1.0)], train, Targets, options);
        using var b = new InfluenceEstimator([(gru, 1.0)], train, Targets, options);
        using var both = new InfluenceEstimator([new LocalModel("bprmf", bpr, 0.3), new LocalModel("gru4rec", gru, 0.7)], train, Targets, options);
        await a.BuildCacheAsync();
        await b.BuildCacheAsync();
        await both.BuildCacheAsync();
        var sa = a.ScoreProfiles(profiles);
        var sb = b.ScoreProfiles(profiles);
        var s = both.ScoreProfiles(profiles);
        for (int k = 0; k < profiles.Length; k++) Assert.Equal(0.3 * sa[k] + 0.7 * sb[k], s[k], 1e-9);
        Assert.Contains(sb, v => v != 0);
    }

    [Fact]
    public async Task Summed_targets_score_like_per_target_solutions()
    {
        var train = fixture.Train;
        var options = new LissaOptions { Damping = 0.5, Scale = 50, Depth = 200, BatchSize = 0 };
        using var perTarget = new InfluenceEstimator([(fixture.Bpr, 0.5), (fixture.Gru, 0.5)], train, Targets, options);
        using var summed = new InfluenceEstimator([(fixture.Bpr, 0.5), (fixture.Gru, 0.5)], train, Targets, options, solvePerTarget: false);
        await perTarget.BuildCacheAsync();
        await summed.BuildCacheAsync();
        int[][] profiles = [[3, 4, 5], [7, 3, 1], [0, 2]];
        var a = perTarget.ScoreProfiles(profiles);
        var b = summed.ScoreProfiles(profiles);
        for (int k = 0; k < profiles.Length; k++) Assert.Equal(a[k], b[k], 1e-9 * Math.Max(1, Math.Abs(a[k])));
        Assert.Throws<InvalidOperationException>(() => summed.UserRemovalInfluence(0, 3));
    }

    [Fact]
    public async Task User_removal_influence_is_positive_for_users_of_the_target_and_needs_a_cached_item()
    {
        var train = fixture.Train;
        var model = fixture.Bpr;
        using var estimator = new InfluenceEstimator([(model, 1.0)], train, Targets, new LissaOptions { Damping = 0.5, Scale = 50, Depth = 300, BatchSize = 0 });
        await estimator.BuildCacheAsync();
        // The target user's own interactions move its vector, hence its score of the target item.
        Assert.True(estimator.UserRemovalInfluence(0, 3) > 0);
        var all = Enumerable.Range(0, train.UserCount).Select(u => estimator.UserRemovalInfluence(u, 3)).ToArray();
        Assert.All(all, v => Assert.True(v >= 0));
        var error = Assert.Throws<ArgumentException>(() => estimator.UserRemovalInfluence(1, 11));
        Assert.Contains("not the item of any cached target", error.Message);
    }

    [Fact]
    public void Bad_options_and_inputs_fail_with_a_clear_message()
    {
        var train = fixture.Train;
        var model = fixture.Bpr;
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => new LissaOptions { Scale = 0 }.Validate());
        Assert.StartsWith("LissaOptions.Scale must be greater than 0", e1.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LissaOptions { Depth = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LissaOptions { Tolerance = 1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LissaOptions { Damping = double.NaN }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new InfluenceEstimator([(model, 1.0)], train, [new TargetPair(0, 99)], new LissaOptions()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InfluenceEstimator([(model, -1.0)], train, Targets, new LissaOptions()));
        using var pop = RecommenderFactory.Create("poprec", null, 0);
        pop.Fit(train);
        var unsupported = Assert.Throws<NotSupportedException>(() => new InfluenceEstimator([(pop, 1.0)], train, Targets, new LissaOptions()));
        Assert.Contains("supported: bprmf, fpmc, gru4rec, transrec", unsupported.Message);
        using var estimator = new InfluenceEstimator([(model, 1.0)], train, Targets, new LissaOptions());
        Assert.Throws<InvalidOperationException>(() => estimator.ScoreProfiles([[1]]));
    }

    [Fact]
    public async Task Diverging_scale_is_reported_and_cancellation_is_honoured()
    {
        var train = fixture.Train;
        var model = fixture.Bpr;
        using var diverging = new InfluenceEstimator([(model, 1.0)], train, Targets, new LissaOptions { Damping = 0, Scale = 1e-3, Depth = 5000, BatchSize = 0 });
        Assert.Equal(SolveStatus.Diverged, (await diverging.BuildCacheAsync()).Models[0].Result.Status);

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        using var cancelled = new InfluenceEstimator([(model, 1.0)], train, Targets, new LissaOptions());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.BuildCacheAsync(null, cts.Token));
    }
}
