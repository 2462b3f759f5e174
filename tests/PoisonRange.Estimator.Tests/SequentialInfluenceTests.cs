using PoisonRange.Data;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Influence;
using PoisonRange.Recommenders.Sequential;
using static TorchSharp.torch;

namespace PoisonRange.Estimator.Tests;

/// <summary>The influence views of the next-item models trained with S-BPR (FPMC, TransRec).</summary>
public sealed class SequentialInfluenceTests(TinyFixture fixture) : IClassFixture<TinyFixture>
{
    /// <summary>
    /// The tiny training set with user 0's history emptied and user 1's cut to one item, so that
    /// the popularity fallback and a user without a transition are served too.
    /// </summary>
    private static InteractionDataset SparseData()
    {
        var train = TinyModels.Data();
        var sequences = train.Sequences.Select(s => s.ToArray()).ToArray();
        sequences[0] = [];
        sequences[1] = [sequences[1][0]];
        return train.WithSequences(sequences, null, null, "tiny-sparse");
    }

    private static IRecommender Train(string variant, InteractionDataset train) => variant switch
    {
        "fpmc" => TinyModels.Fpmc(train),
        "fpmc-no-bias" => TinyModels.Fpmc(train, useItemBias: false),
        "transrec" => TinyModels.TransRec(train),
        "transrec-l2" => TinyModels.TransRec(train, distance: TransRecDistance.L2),
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, $"Unknown variant '{variant}'."),
    };

    [Theory]
    [InlineData("fpmc")]
    [InlineData("fpmc-no-bias")]
    [InlineData("transrec")]
    [InlineData("transrec-l2")]
    public void Target_scores_are_the_scores_the_model_serves(string variant)
    {
        var train = SparseData();
        using var model = Train(variant, train);
        using var view = InfluenceModels.Create(model, train);
        Assert.Equal(model.Kind, view.Kind);
        var targets = Enumerable.Range(0, train.UserCount).SelectMany(u => Enumerable.Range(0, train.ItemCount).Select(i => new TargetPair(u, i))).ToArray();
        double[] scores;
        using (var scope = NewDisposeScope())
        {
            var tensor = view.TargetScores(targets);
            Assert.True(tensor.requires_grad, "target scores must be differentiable in θ");
            scores = tensor.data<double>().ToArray();
        }
        var served = new float[train.ItemCount];
        for (int u = 0; u < train.UserCount; u++)
        {
            model.ScoreUser(u, served);
            for (int i = 0; i < train.ItemCount; i++)
            {
                double difference = Math.Abs(scores[u * train.ItemCount + i] - served[i]);
                Assert.True(difference < 1e-5 * Math.Max(1, Math.Abs(served[i])), $"{variant}: user {u}, item {i}: view {scores[u * train.ItemCount + i]:R}, served {served[i]:R}");
            }
        }
        Assert.True(scores.Distinct().Count() > train.ItemCount, $"{variant}: the view's scores hardly vary");
    }

    /// <summary>
    /// Three items, every user on exactly two of them: each transition has one possible negative,
    /// so the S-BPR objective has no sampling noise and the view's must equal Fit's.
    /// </summary>
    private static InteractionDataset ForcedNegatives()
    {
        int[][] sequences = [[0, 1, 0], [1, 2], [2, 0, 2, 0], [0, 1, 1], [1, 2, 1, 2, 2], [2, 0], [0, 2, 0], [1, 0, 1]];
        return new InteractionDataset("forced-negatives", sequences.Select((_, u) => $"u{u}").ToArray(), ["a", "b", "c"], sequences, null, null);
    }

    private static IRecommender Untrained(string variant, int epochs) => variant switch
    {
        "fpmc" or "fpmc-no-bias" => new Fpmc(new FpmcOptions
        {
            Factors = 2, Epochs = epochs, LearningRate = 0.05, L2 = 0.1, BatchSize = 1024, UseItemBias = variant == "fpmc", Seed = 3,
        }),
        "transrec" or "transrec-l2" => new TransRec(new TransRecOptions
        {
            Factors = 2, Epochs = epochs, LearningRate = 0.05, L2 = 0.1, BatchSize = 1024, Seed = 3,
            Distance = variant == "transrec" ? TransRecDistance.SquaredL2 : TransRecDistance.L2,
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, $"Unknown variant '{variant}'."),
    };

    [Theory]
    [InlineData("fpmc")]
    [InlineData("fpmc-no-bias")]
    [InlineData("transrec")]
    [InlineData("transrec-l2")]
    public void The_objective_is_the_one_Fit_minimises(string variant)
    {
        // Full-batch Fit reports, for its second epoch, the mean regularised loss at the parameters
        // after one step; a one-epoch Fit with the same seed stops at those parameters.
        var train = ForcedNegatives();
        var epochs = new List<TrainProgress>();
        using (var twice = Untrained(variant, 2)) twice.Fit(train, new SyncProgress<TrainProgress>(epochs.Add));
        using var once = Untrained(variant, 1);
        once.Fit(train);
        using var view = InfluenceModels.Create(once, train);
        Assert.Equal(train.Sequences.Sum(s => s.Length - 1), view.TrainingUnitCount);
        using var scope = NewDisposeScope();
        double mean = view.TrainingLoss(Enumerable.Range(0, view.TrainingUnitCount).ToArray()).item<double>() / view.TrainingUnitCount;
        Assert.Equal(2, epochs.Count);
        Assert.True(Math.Abs(mean - epochs[1].Loss) < 1e-5 * Math.Abs(epochs[1].Loss), $"{variant}: view {mean:R}, Fit {epochs[1].Loss:R}");
    }

    [Theory]
    [InlineData("fpmc")]
    [InlineData("transrec")]
    public void A_profile_adds_its_transitions_with_its_new_account_at_the_fold_in(string kind)
    {
        var train = fixture.Train;
        var model = fixture.Model(kind);
        using var view = InfluenceModels.Create(model, train);
        int[][] profiles = [[4, 7, 2, 7], [5], [], [9, 9]];
        using var batch = view.ProfileSamples(profiles);
        Assert.Equal(profiles.Length, batch.Groups);
        Assert.Equal([0, 0, 0, 3], batch.GroupOfSample);
        var own = Assert.Single(batch.OwnParameters);
        Assert.False(own.requires_grad);
        var vectors = own.data<double>().ToArray();
        int d = (int)own.shape[1];
        Assert.Equal(profiles.Length, (int)own.shape[0]);

        using var scope = NewDisposeScope();
        Assert.Equal(4, (int)view.SampleLosses(batch).shape[0]);
        var profile = profiles[0];
        var served = new float[train.ItemCount];
        model.ScoreHistory(profile, served);
        if (model is Fpmc fpmc)
        {
            var expected = new float[d];
            Assert.True(fpmc.FoldIn(profile, expected));
            for (int c = 0; c < d; c++) Assert.Equal(expected[c], vectors[c], 6);
        }
        else
        {
            // TransRec serves a history as β_j − ‖γ_l + t + t_f − γ_j‖² with its folded-in offset t_f.
            var points = view.Parameters[0].data<double>().ToArray();
            var bias = view.Parameters[1].data<double>().ToArray();
            var translation = view.Parameters[2].data<double>().ToArray();
            int last = profile[^1];
            for (int j = 0; j < train.ItemCount; j++)
            {
                double distance = 0;
                for (int c = 0; c < d; c++)
                {
                    double difference = points[last * d + c] + translation[c] + vectors[c] - points[j * d + c];
                    distance += difference * difference;
                }
                Assert.Equal(served[j], bias[j] - distance, 5);
            }
            Assert.Contains(vectors.Take(d), v => v != 0);
        }
    }

    [Theory]
    [InlineData("fpmc")]
    [InlineData("transrec")]
    public void The_objective_is_the_sum_of_the_users_samples(string kind)
    {
        var train = fixture.Train;
        using var view = InfluenceModels.Create(fixture.Model(kind), train);
        using var scope = NewDisposeScope();
        var all = Enumerable.Range(0, view.TrainingUnitCount).ToArray();
        double total = view.TrainingLoss(all).item<double>();
        double byUser = 0;
        int samples = 0;
        for (int u = 0; u < train.UserCount; u++)
        {
            using var batch = view.UserSamples(u);
            Assert.Equal(Math.Max(0, train.Sequences[u].Length - 1), batch.Count);
            Assert.Empty(batch.OwnParameters);
            samples += batch.Count;
            byUser += view.SampleLosses(batch).sum().item<double>();
        }
        Assert.Equal(view.TrainingSampleCount, (long)samples);
        Assert.Equal(total, byUser, 1e-9 * Math.Abs(total));
        // Another seed fixes other negatives, hence another objective.
        using var other = InfluenceModels.Create(fixture.Model(kind), train, seed: 5);
        double otherTotal = other.TrainingLoss(all).item<double>();
        Assert.True(Math.Abs(otherTotal - total) > 1e-9 * Math.Abs(total), $"seed 0: {total:R}, seed 5: {otherTotal:R}");
    }

    [Theory]
    [InlineData("fpmc")]
    [InlineData("transrec")]
    public async Task Predicted_changes_order_profiles_like_an_actual_refit(string kind)
    {
        var train = fixture.Train;
        var model = fixture.Model(kind);
        double[,] hessian;
        using (var view = InfluenceModels.Create(model, train)) hessian = TinyModels.DenseHessian(view);
        // The trained parameters are not exactly the minimum of the view's fixed-negative objective,
        // so its Hessian there is indefinite. The estimate damps it enough to keep H + λI
        // conditioned: a light damping would amplify the directions of near-zero curvature, along
        // which a refit does not respond linearly. The refit steps at the light scale (stable).
        var (damping, scale) = EstimatorTests.Conditioning(hessian, wellConditioned: true);
        var (_, refitScale) = EstimatorTests.Conditioning(hessian, wellConditioned: false);
        var targets = new[] { new TargetPair(0, 3), new TargetPair(4, 3) };
        using var estimator = new InfluenceEstimator([(model, 1.0)], train, targets,
            new LissaOptions { Damping = damping, Scale = scale, Depth = 200_000, Tolerance = 1e-10, BatchSize = 0 });
        await estimator.BuildCacheAsync();
        // The target users are scored after their last items; the first profile moves to the
        // target item from each of them.
        int last0 = train.Sequences[0][^1], last4 = train.Sequences[4][^1];
        var profiles = new List<int[]>
        {
            new[] { last0, 3, last4, 3, last0, 3 }, new[] { 3, 3, 3 }, new[] { 3, 8, 9 }, new[] { 0, 1, 2 }, new[] { 5, 6 }, new[] { 10, 11, 4 },
            new[] { 1, 3, 10 }, new[] { 7, 2 }, new[] { 8, 9, 8, 9 },
        };
        var predicted = estimator.ScoreProfiles(profiles);

        using var view2 = InfluenceModels.Create(model, train);
        var refit = new RefitOptions { Steps = 3000, LearningRate = 1 / refitScale, BatchUnits = 0 };
        var control = InfluenceRefit.Run(view2, [], targets, refit).Sum();
        var actual = profiles.Select(p => InfluenceRefit.Run(view2, [p], targets, refit).Sum() - control).ToArray();

        // The refit also trains the new account's own parameters from their fold-in, which the
        // estimate holds fixed, so agreement is partial: the profile pushing the target item must
        // raise it in both, and the values correlate.
        string detail = $"{kind}: predicted [{string.Join(", ", predicted.Select(v => v.ToString("G3")))}], actual [{string.Join(", ", actual.Select(v => v.ToString("G3")))}]";
        Assert.True(predicted[0] > 0 && actual[0] > 0, detail);
        Assert.True(TinyModels.Pearson(predicted, actual) > 0.5, $"Pearson {TinyModels.Pearson(predicted, actual):F2}; {detail}");
    }

    [Theory]
    [InlineData("fpmc")]
    [InlineData("transrec")]
    public void Bad_inputs_fail_with_a_clear_message(string kind)
    {
        var train = fixture.Train;
        var model = fixture.Model(kind);
        using var view = InfluenceModels.Create(model, train);

        var user = Assert.Throws<ArgumentOutOfRangeException>(() => view.TargetScores([new TargetPair(16, 3)]));
        Assert.StartsWith("Target user 16 is outside 0..15.", user.Message);
        var item = Assert.Throws<ArgumentOutOfRangeException>(() => view.TargetScores([new TargetPair(0, -1)]));
        Assert.StartsWith("Target item -1 is outside 0..11.", item.Message);
        var profileItem = Assert.Throws<ArgumentOutOfRangeException>(() => view.ProfileSamples([[1, 2], [3, 12]]));
        Assert.StartsWith("Profile 1 holds item 12, outside 0..11.", profileItem.Message);
        var nullProfile = Assert.Throws<ArgumentException>(() => view.ProfileSamples([[1, 2], null!]));
        Assert.StartsWith("Profile 1 is null.", nullProfile.Message);
        var trainingUser = Assert.Throws<ArgumentOutOfRangeException>(() => view.UserSamples(-1));
        Assert.StartsWith("User -1 is outside 0..15.", trainingUser.Message);
        var unit = Assert.Throws<ArgumentOutOfRangeException>(() => view.TrainingLoss([view.TrainingUnitCount]));
        Assert.StartsWith($"Unit {view.TrainingUnitCount} is outside 0..{view.TrainingUnitCount - 1}.", unit.Message);

        // A batch of another view indexes that view's tables.
        using (var other = InfluenceModels.Create(model, train))
        using (var foreign = other.ProfileSamples([[1, 2, 3]]))
        {
            var batch = Assert.Throws<ArgumentException>(() => view.SampleLosses(foreign));
            Assert.Contains("was not prepared by this", batch.Message);
        }
        using (var bpr = InfluenceModels.Create(fixture.Bpr, train))
        using (var foreign = bpr.UserSamples(0))
            Assert.Throws<ArgumentException>(() => view.SampleLosses(foreign));

        // Training sets the model was not fitted on.
        var larger = TinyModels.Data(users: 17);
        var size = Assert.Throws<ArgumentException>(() => InfluenceModels.Create(model, larger));
        Assert.Contains("does not match the model (16 users, 12 items)", size.Message);
        var reversed = train.WithSequences(train.Sequences.Select(s => s.Reverse().ToArray()).ToArray(), null, null);
        var order = Assert.Throws<ArgumentException>(() => InfluenceModels.Create(model, reversed));
        Assert.Contains("last training item", order.Message);
        var sequences = train.Sequences.Select(s => s.ToArray()).ToArray();
        int extra = Enumerable.Range(0, train.ItemCount).First(i => !sequences[2].Contains(i));
        sequences[2] = [extra, .. sequences[2]];
        var counts = Assert.Throws<ArgumentException>(() => InfluenceModels.Create(model, train.WithSequences(sequences, null, null)));
        Assert.Contains($"item {extra} has", counts.Message);

        var negatives = Assert.Throws<ArgumentOutOfRangeException>(() => kind == "fpmc"
            ? new FpmcInfluence(fixture.Fpmc, train, negativesPerTransition: 0)
            : new TransRecInfluence(fixture.TransRec, train, negativesPerTransition: 0));
        Assert.StartsWith("negativesPerTransition must be between 1 and 64; got 0.", negatives.Message);
        using var unfitted = RecommenderFactory.Create(kind, null, 0);
        Assert.Throws<InvalidOperationException>(() => InfluenceModels.Create(unfitted, train));
    }
}
