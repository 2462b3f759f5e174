using PoisonRange.Agent.Loki;
using PoisonRange.Data;
using Xunit;

namespace PoisonRange.Agent.Tests.Loki;

public sealed class RetrainProfileRewardTests
{
    [Fact]
    public async Task Popularity_model_gives_the_exact_change_of_centred_target_scores()
    {
        var view = LokiTestData.Synthetic(users: 30, items: 50);
        int[] targets = [10, 11, 12, 13];
        var reward = new RetrainProfileReward(view, targets, [0, 1, 2], new RetrainRewardOptions { Kind = "poprec" });
        int[][] profiles = [[10, 11, 20], [30, 31, 32, 33], [], [12]];
        var scores = await reward.ScoreProfilesAsync(profiles, CancellationToken.None);
        // PopRec's score is the item's count: a profile adds 1 to each of its items, so the mean
        // target score rises by (targets in profile)/|T| and the catalogue mean by |profile|/I.
        for (int p = 0; p < profiles.Length; p++)
        {
            double expected = profiles[p].Count(targets.Contains) / 4.0 - profiles[p].Length / 50.0;
            Assert.Equal(expected, scores[p], 5);
        }
    }

    [Fact]
    public async Task A_trained_model_reward_is_deterministic_and_checks_its_input()
    {
        var view = LokiTestData.Synthetic(users: 30, items: 40);
        var options = new RetrainRewardOptions
        {
            Kind = "bprmf",
            HyperParameters = new Dictionary<string, string> { ["epochs"] = "3", ["factors"] = "4" },
            Seed = 2,
        };
        var events = new List<AttackProgress>();
        var a = new RetrainProfileReward(view, [5, 6], [0, 1], options, new SyncProgress<AttackProgress>(events.Add));
        var b = new RetrainProfileReward(view, [5, 6], [0, 1], options);
        int[][] profiles = [[5, 6, 7], [1, 2, 3]];
        var first = await a.ScoreProfilesAsync(profiles, CancellationToken.None);
        Assert.Equal(first, await b.ScoreProfilesAsync(profiles, CancellationToken.None));
        Assert.All(first, s => Assert.True(double.IsFinite(s)));
        Assert.Equal(2, events.Count);
        Assert.Equal("reward", events[0].Phase);

        Assert.Contains("outside the catalogue", (await Assert.ThrowsAsync<ArgumentException>(() => a.ScoreProfilesAsync([[40]], CancellationToken.None))).Message);
        Assert.Contains("nosuchmodel", Assert.ThrowsAny<ArgumentException>(() => new RetrainProfileReward(view, [5], [], new RetrainRewardOptions { Kind = "nosuchmodel" })).Message);
        Assert.Contains("target item", Assert.Throws<ArgumentException>(() => new RetrainProfileReward(view, [], [], options)).Message);
    }
}
