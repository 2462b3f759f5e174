using Microsoft.Extensions.Time.Testing;
using PoisonRange.Agent.Loki;
using PoisonRange.Data;
using Xunit;

namespace PoisonRange.Agent.Tests.Loki;

public sealed class LokiTrainerTests
{
    private static readonly int[] Targets = Enumerable.Range(100, 20).ToArray();

    /// <summary>Small, quick settings for the toy MDP (6 actions, M = 8).</summary>
    private static LokiOptions Toy(int episodes = 480, ulong seed = 1) => new()
    {
        ActionsPerProfile = 8,
        Episodes = episodes,
        EpisodesPerRound = 16,
        UpdatesPerRound = 16,
        BatchSize = 32,
        ReplaySize = 4000,
        TargetSyncSteps = 25,
        LearningRate = 3e-3,
        EpsilonDecayEpisodes = 120,
        Network = new QNetworkSizes(8, 16, 16, 16),
        Seed = seed,
    };

    private static LokiTrainer ToyTrainer(LokiOptions options, IProfileReward? reward = null, TimeProvider? time = null)
    {
        var view = LokiTestData.Synthetic(users: 40, items: 120);
        var groups = LokiTestData.Blocks(120, 5, 20, Targets);
        return new LokiTrainer(view, Targets, reward ?? LokiTestData.TargetShare(Targets, options.ActionsPerProfile), options, groups, time);
    }

    private static double TargetShare(IReadOnlyList<FakeProfileSpec> profiles)
        => profiles.SelectMany(p => p.Actions).Count(a => Targets.Contains(a.Item)) / (double)profiles.Sum(p => p.Actions.Count);

    [Fact]
    public async Task The_agent_learns_to_prefer_the_target_group_when_the_reward_favours_it()
    {
        using var trained = ToyTrainer(Toy());
        var events = new List<AttackProgress>();
        var result = await trained.TrainAsync(new SyncProgress<AttackProgress>(events.Add));
        var greedy = trained.GenerateProfiles(30);

        using var untrained = ToyTrainer(Toy() with { GenerationEpsilon = 1 });
        var random = untrained.GenerateProfiles(30);

        double learnt = TargetShare(greedy), chance = TargetShare(random);
        Assert.True(learnt >= 0.75, $"the greedy policy put {learnt:P0} target items in its profiles");
        Assert.True(chance <= 0.35, $"a random policy put {chance:P0} target items in its profiles");
        Assert.True(trained.GreedyActions().Count(a => a == trained.Groups.TargetGroup) >= 6);

        Assert.Equal(LokiStopReason.EpisodeBudget, result.StopReason);
        Assert.Equal(480, result.Episodes);
        Assert.Equal(30, result.Rounds);
        Assert.True(result.GradientSteps > 0);
        Assert.True(result.History[^1].MeanReward > result.History[0].MeanReward + 0.3,
            $"mean reward went from {result.History[0].MeanReward:F3} to {result.History[^1].MeanReward:F3}");
        Assert.True(result.History[^1].Epsilon < result.History[0].Epsilon);
        Assert.Equal(30, events.Count);
        Assert.All(events, e => Assert.Equal("train", e.Phase));
        Assert.Equal(480, events[^1].Done);
        Assert.Contains("epsilon", events[^1].Message);
        Assert.Contains("mean reward", events[^1].Message);
    }

    [Fact]
    public async Task The_state_sequence_lets_the_agent_learn_an_order_dependent_reward()
    {
        // Rewarded: a target item at even steps, an item of group 0 at odd steps. Only a policy
        // that reads the position from its state sequence can collect all of it.
        var groups = LokiTestData.Blocks(120, 5, 20, Targets);
        var targetSet = Targets.ToHashSet();
        var reward = new FunctionProfileReward(profiles => profiles.Select(p =>
            Enumerable.Range(0, p.Length).Count(t => t % 2 == 0 ? targetSet.Contains(p[t]) : groups.GroupOf(p[t]) == 0) / 8.0).ToArray());
        using var trainer = ToyTrainer(Toy(episodes: 960) with { UpdatesPerRound = 32 }, reward);
        await trainer.TrainAsync();
        var actions = trainer.GreedyActions();
        int matching = Enumerable.Range(0, actions.Count).Count(t => actions[t] == (t % 2 == 0 ? trainer.Groups.TargetGroup : 0));
        Assert.True(matching >= 7, $"greedy sequence {string.Join(",", actions)} matches the rewarded order at {matching} of 8 steps");
    }

    [Fact]
    public async Task Terminal_rewards_also_teach_the_preference()
    {
        using var trainer = ToyTrainer(Toy(episodes: 480) with { RewardMode = LokiRewardMode.Terminal, Loss = LokiLoss.Huber, Gamma = 1 });
        await trainer.TrainAsync();
        Assert.True(TargetShare(trainer.GenerateProfiles(20)) >= 0.6);
    }

    [Fact]
    public async Task Training_and_generation_are_deterministic_for_a_seed()
    {
        async Task<(LokiTrainingResult, IReadOnlyList<FakeProfileSpec>)> Run(ulong seed)
        {
            using var trainer = ToyTrainer(Toy(episodes: 64, seed: seed) with { GenerationEpsilon = 0.3 });
            var result = await trainer.TrainAsync();
            return (result, trainer.GenerateProfiles(10));
        }
        var (a, pa) = await Run(5);
        var (b, pb) = await Run(5);
        var (_, pc) = await Run(6);
        Assert.Equal(a.History.Select(h => (h.MeanReward, h.Loss)), b.History.Select(h => (h.MeanReward, h.Loss)));
        Assert.Equal(Flatten(pa), Flatten(pb));
        Assert.NotEqual(Flatten(pa), Flatten(pc));
    }

    private static string Flatten(IReadOnlyList<FakeProfileSpec> profiles)
        => string.Join(";", profiles.Select(p => p.ProfileId + ":" + string.Join(",", p.Actions.Select(a => $"{a.Item}@{a.TimestampMs}"))));

    [Fact]
    public async Task Generated_profiles_respect_M_the_catalogue_and_the_no_repeat_rule()
    {
        // A target group of 3 items and M = 10: the policy must leave it once exhausted.
        int[] targets = [7, 8, 9];
        var view = LokiTestData.Synthetic(users: 40, items: 60);
        var groups = LokiTestData.Blocks(60, 4, 12, targets);
        var options = Toy(episodes: 64) with { ActionsPerProfile = 10 };
        using var trainer = new LokiTrainer(view, targets, LokiTestData.TargetShare(targets, 10), options, groups);
        await trainer.TrainAsync();
        var profiles = trainer.GenerateProfiles(40, startTimestampMs: 1_000_000);
        Assert.Equal(40, profiles.Count);
        Assert.Equal(40, profiles.Select(p => p.ProfileId).Distinct().Count());
        foreach (var p in profiles)
        {
            Assert.Equal(10, p.Actions.Count);
            Assert.Equal(10, p.Actions.Select(a => a.Item).Distinct().Count());
            Assert.All(p.Actions, a => Assert.InRange(a.Item, 0, 59));
            Assert.True(p.Actions.Count(a => targets.Contains(a.Item)) <= 3);
            Assert.True(p.Actions.Zip(p.Actions.Skip(1)).All(x => x.First.TimestampMs < x.Second.TimestampMs));
            Assert.True(p.Actions[0].TimestampMs >= 1_000_000);
        }
        // A context with a smaller M gives shorter profiles.
        var ctx = new AttackContext { View = view, TargetItems = targets, FakeUsers = 5, ActionsPerUser = 4, Seed = 3 };
        Assert.All(trainer.GenerateProfiles(ctx), p => Assert.Equal(4, p.Actions.Count));
    }

    [Fact]
    public async Task A_time_budget_stops_training_after_the_round_that_crosses_it()
    {
        var time = new FakeTimeProvider();
        var reward = LokiTestData.TargetShare(Targets, 8, () => time.Advance(TimeSpan.FromSeconds(1)));
        using var trainer = ToyTrainer(Toy(episodes: 10_000) with { TimeBudget = TimeSpan.FromSeconds(2.5) }, reward, time);
        var result = await trainer.TrainAsync();
        Assert.Equal(LokiStopReason.TimeBudget, result.StopReason);
        Assert.Equal(3, result.Rounds);
        Assert.Equal(48, result.Episodes);
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using var cts = new CancellationTokenSource();
        var reward = LokiTestData.TargetShare(Targets, 8, cts.Cancel);
        using var trainer = ToyTrainer(Toy(), reward);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => trainer.TrainAsync(cancellationToken: cts.Token));
        Assert.Equal(0, trainer.EpisodesPlayed);
    }

    [Fact]
    public async Task A_faulty_reward_fails_with_a_clear_message()
    {
        using var shortReward = ToyTrainer(Toy(), new FunctionProfileReward(p => new double[p.Count - 1]));
        Assert.Contains("scores for", (await Assert.ThrowsAsync<InvalidOperationException>(() => shortReward.TrainAsync())).Message);
        using var nanReward = ToyTrainer(Toy(), new FunctionProfileReward(p => p.Select(_ => double.NaN).ToArray()));
        Assert.Contains("non-finite", (await Assert.ThrowsAsync<InvalidOperationException>(() => nanReward.TrainAsync())).Message);
    }

    [Theory]
    [InlineData("gamma")]
    [InlineData("epsilon")]
    [InlineData("batch")]
    [InlineData("m")]
    [InlineData("sizes")]
    [InlineData("budget")]
    public void Bad_options_give_one_line_errors(string which)
    {
        var options = which switch
        {
            "gamma" => Toy() with { Gamma = 1.5 },
            "epsilon" => Toy() with { EpsilonStart = 0.1, EpsilonEnd = 0.5 },
            "batch" => Toy() with { BatchSize = 0 },
            "m" => Toy() with { ActionsPerProfile = 0 },
            "sizes" => Toy() with { Network = new QNetworkSizes(0) },
            _ => Toy() with { TimeBudget = TimeSpan.Zero },
        };
        var error = Assert.Throws<ArgumentException>(() => ToyTrainer(options));
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Groups_for_another_catalogue_are_rejected()
    {
        var view = LokiTestData.Synthetic(users: 40, items: 60);
        var groups = LokiTestData.Blocks(120, 5, 20, Targets);
        Assert.Contains("120 items", Assert.Throws<ArgumentException>(() => new LokiTrainer(view, [1], LokiTestData.TargetShare([1], 8), Toy(), groups)).Message);
    }
}
