using PoisonRange.Data;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Baselines;
using Xunit;

namespace PoisonRange.Simulator.Tests;

/// <summary>The Eq. 1 weights and the weighted vote, on probes whose answers the test controls.</summary>
public sealed class WeightFitterTests
{
    [Fact]
    public void Softmax_is_a_point_of_the_simplex_ordered_by_distance()
    {
        var w = WeightFitter.Softmax([0.30, 0.50, 0.40], 0.05);
        Assert.Equal(1.0, w.Sum(), 12);
        Assert.True(w[0] > w[2] && w[2] > w[1]);
        // exp(-(0.4-0.3)/0.05) = e^-2 relative to the best.
        Assert.Equal(Math.Exp(-2), w[2] / w[0], 9);
        Assert.Equal([1.0 / 3, 1.0 / 3, 1.0 / 3], WeightFitter.Softmax([0.2, 0.2, 0.2], 0.01));
        // A tiny temperature approaches the linear objective's vertex.
        Assert.True(WeightFitter.Softmax([0.30, 0.50, 0.40], 1e-4)[0] > 0.999999);
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightFitter.Softmax([0.1], 0));
    }

    [Fact]
    public void The_vote_sums_weighted_borda_points()
    {
        int[][] lists = [[1, 2, 3], [3, 2, 1]];
        Assert.Equal([1, 2, 3], EnsembleVote.TopK(lists, [0.9, 0.1], 3, 3));
        Assert.Equal([3, 2, 1], EnsembleVote.TopK(lists, [0.1, 0.9], 3, 3));
        // Equal weights, depth 3: item 2 gets 2/3 + 3/3, item 1 gets 3/3 + 1/3, item 4 gets 2/3, item 3 gets 1/3.
        Assert.Equal([2, 1, 4, 3], EnsembleVote.TopK([[1, 2, 3], [2, 4, 1]], [0.5, 0.5], 3, 4));
        // A reversed pair of lists ties every item; ties go to the lower id.
        Assert.Equal([1, 2, 3], EnsembleVote.TopK(lists, [0.5, 0.5], 3, 3));
        // A zero weight takes a model out of the vote.
        Assert.Equal([3, 2], EnsembleVote.TopK(lists, [0, 1], 3, 2));
        Assert.Throws<ArgumentException>(() => EnsembleVote.TopK(lists, [1.0], 3, 3));
    }

    [Fact]
    public void Fitted_weights_follow_the_model_the_platform_answers_like_and_no_probes_give_uniform()
    {
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Users = 80, Items = 60, MeanLength = 10, Seed = 3 });
        using var pop = new PopRec();
        pop.Fit(data);
        using var bpr = RecommenderFactory.Create("bprmf", new Dictionary<string, string> { ["epochs"] = "10", ["factors"] = "8" }, 1);
        bpr.Fit(data);
        var samples = SimulatorBuilder.SampleHistories(data, 40, 8, 9);
        // The "platform" answers with BPR-MF's own top-10.
        var probes = samples.Select((s, i) => new Probe(s.User, $"a{i}", s.History, ProbeScores.Rank(bpr, s.History, 10), i >= 30)).ToArray();
        var scores = ProbeScores.Compute([("poprec", pop), ("bprmf", bpr)], probes, 10, 50);
        var options = new SimulatorOptions();

        var agreement = SimulatorBuilder.Evaluate(scores, options);
        Assert.Equal(WeightMethod.CrossValidatedTemperature, agreement.Method);
        Assert.Equal("bprmf", agreement.BestSingleKind);
        Assert.True(agreement.Models[1].Weight > 0.9, agreement.Message);
        Assert.Equal(0, agreement.Models[1].FitKendall, 12);
        Assert.Equal(1, agreement.Models[1].HeldOutOverlap, 12);
        Assert.Equal(30, agreement.FitProbes);
        Assert.Equal(10, agreement.HeldOutProbes);
        Assert.Equal(0, agreement.EnsembleKendall, 12);

        var none = WeightFitter.Fit(scores, [], options);
        Assert.Equal(WeightMethod.Uniform, none.Method);
        Assert.Equal([0.5, 0.5], none.Weights);
        Assert.Equal(-1, none.LinearChoice);

        options.Temperature = 0.1;
        var fixedT = WeightFitter.Fit(scores, [0, 1, 2, 3, 4], options);
        Assert.Equal(WeightMethod.FixedTemperature, fixedT.Method);
        Assert.Equal(0.1, fixedT.Temperature);
    }

    [Fact]
    public void Sampled_histories_are_windows_of_crawled_sequences_and_reproducible()
    {
        var data = SyntheticGenerator.Generate(new SyntheticOptions { Users = 30, Items = 40, MeanLength = 10, Seed = 4 });
        var a = SimulatorBuilder.SampleHistories(data, 45, 6, 2);
        var b = SimulatorBuilder.SampleHistories(data, 45, 6, 2);
        Assert.Equal(a.Select(x => x.User), b.Select(x => x.User));
        Assert.Equal(a.SelectMany(x => x.History), b.SelectMany(x => x.History));
        foreach (var (user, history) in a)
        {
            Assert.InRange(history.Length, 2, 6);
            var seq = data.Sequences[user];
            Assert.Contains(Enumerable.Range(0, seq.Length - history.Length + 1), s => seq.AsSpan(s, history.Length).SequenceEqual(history));
        }
        // The first 30 probes use 30 distinct users before any user repeats.
        Assert.Equal(30, a.Take(30).Select(x => x.User).Distinct().Count());
    }

    [Fact]
    public void Options_name_the_bad_setting()
    {
        Assert.Equal(["fpmc", "gru4rec", "transrec"], new SimulatorOptions { LeaveOut = "BPRMF" }.EffectiveModels().Select(m => m.Kind));
        Assert.Contains("ProbeQueries", Assert.Throws<ArgumentException>(() => new SimulatorOptions { ProbeQueries = -1 }.Validate()).Message);
        Assert.Contains("HoldoutFraction", Assert.Throws<ArgumentException>(() => new SimulatorOptions { HoldoutFraction = 1 }.Validate()).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => new SimulatorOptions { Models = [new("bprmf"), new("BPRMF")] }.Validate()).Message);
        Assert.Contains("VoteDepth", Assert.Throws<ArgumentException>(() => new SimulatorOptions { K = 20, VoteDepth = 10 }.Validate()).Message);
    }
}
