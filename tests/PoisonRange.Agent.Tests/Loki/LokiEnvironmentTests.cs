using PoisonRange.Agent.Loki;
using PoisonRange.Data;
using TorchSharp;
using Xunit;

namespace PoisonRange.Agent.Tests.Loki;

public sealed class LokiEnvironmentTests
{
    [Fact]
    public void Episodes_draw_items_of_the_chosen_group_without_repeats_and_mask_exhausted_groups()
    {
        int[] targets = [50, 51];
        var groups = LokiTestData.Blocks(60, 3, 10, targets);
        var environment = new LokiEnvironment(groups, 6);
        var episode = environment.Start(new SeededRandom(1));

        Assert.Empty(episode.Items);
        Assert.All(episode.ValidActions(), Assert.True);
        int first = episode.Step(3);
        int second = episode.Step(3);
        Assert.Contains(first, targets);
        Assert.Contains(second, targets);
        Assert.NotEqual(first, second);
        Assert.False(episode.IsValid(3));
        Assert.Contains("not available", Assert.Throws<InvalidOperationException>(() => episode.Step(3)).Message);
        Assert.Throws<InvalidOperationException>(() => episode.Step(7));

        for (int k = 0; k < 4; k++) episode.Step(0);
        Assert.True(episode.IsDone);
        Assert.Equal(6, episode.Items.Count);
        Assert.Equal(6, episode.Items.Distinct().Count());
        Assert.All(episode.Items.Skip(2), i => Assert.Equal(0, groups.GroupOf(i)));
        Assert.Equal([3, 3, 0, 0, 0, 0], episode.Actions);
        Assert.Contains("complete", Assert.Throws<InvalidOperationException>(() => episode.Step(1)).Message);
    }

    [Fact]
    public void An_episode_ends_early_when_every_group_is_exhausted()
    {
        var groups = new ItemGroups(5, [[0, 1], [2]], 1);
        var episode = new LokiEnvironment(groups, 10).Start(new SeededRandom(2));
        episode.Step(0);
        episode.Step(1);
        episode.Step(0);
        Assert.True(episode.IsDone);
        Assert.Equal([0, 1, 2], episode.Items.Order());
    }

    [Fact]
    public void Replay_memory_balances_rare_positive_transitions()
    {
        var memory = new ReplayMemory(1000, 0.5);
        memory.Add(new Transition([], 1, 0.3, false, [true]));
        for (int k = 0; k < 200; k++) memory.Add(new Transition([], 0, k % 2 == 0 ? 0 : -0.1, false, [true]));
        Assert.Equal(1, memory.PositiveCount);
        var batch = memory.Sample(64, new SeededRandom(3));
        Assert.Equal(32, batch.Count(t => t.Reward > 0));

        // The positive half is a ring of its own: 600 negatives evict old negatives, never the positive.
        for (int k = 0; k < 600; k++) memory.Add(new Transition([], 0, -1, false, [true]));
        Assert.Equal(1, memory.PositiveCount);
        Assert.Equal(501, memory.Count);

        var none = new ReplayMemory(10, 0.5);
        none.Add(new Transition([], 0, 0, true, [true]));
        Assert.All(none.Sample(8, new SeededRandom(4)), t => Assert.Equal(0, t.Reward));
        Assert.Throws<InvalidOperationException>(() => new ReplayMemory(10, 0.5).Sample(1, new SeededRandom(1)));
    }

    [Fact]
    public void Q_network_is_seeded_dueling_and_copyable()
    {
        var sizes = new QNetworkSizes(4, 8, 8, 8);
        float[][] features = [[1, 0], [0, 1], [0.5f, 0.5f]];
        using var a = new DuelingGruQNetwork(3, sizes, features, 9);
        using var b = new DuelingGruQNetwork(3, sizes, features, 9);
        using var c = new DuelingGruQNetwork(3, sizes, features, 10);
        using var scope = torch.NewDisposeScope();
        // Two states of different lengths, right-padded with the start token: [S], [S, 2, 0].
        var tokens = torch.tensor(new long[] { 3, 3, 3, 3, 2, 0 }).reshape(2, 3);
        var last = torch.tensor(new long[] { 0, 5 });
        var qa = a.forward(tokens, last).data<float>().ToArray();
        var qb = b.forward(tokens, last).data<float>().ToArray();
        var qc = c.forward(tokens, last).data<float>().ToArray();
        Assert.Equal(6, qa.Length);
        Assert.Equal(qa, qb);
        Assert.NotEqual(qa, qc);
        c.CopyFrom(a);
        Assert.Equal(qa, c.forward(tokens, last).data<float>().ToArray());
        // Padding after a row's last position does not change its Q-values.
        var padded = torch.tensor(new long[] { 3, 1, 1, 3, 2, 0 }).reshape(2, 3);
        Assert.Equal(qa, a.forward(padded, last).data<float>().ToArray());
    }
}
