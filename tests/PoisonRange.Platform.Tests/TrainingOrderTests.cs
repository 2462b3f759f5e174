using Xunit;
using Grpc.Core;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Data;
using PoisonRange.Platform.Engine;
using PoisonRange.Platform.Stores;

namespace PoisonRange.Platform.Tests;

/// <summary>
/// The victim trains on the same data in the same order whatever order the accounts registered
/// in: registration order is a race when profiles are delivered concurrently.
/// </summary>
public sealed class TrainingOrderTests
{
    private static readonly int[][] Profiles = [[5, 1, 2], [0, 3], [5, 1], [0, 3], [2, 2, 4]];

    [Fact]
    public void Accounts_enter_the_training_set_in_an_order_fixed_by_what_they_recorded()
    {
        var baseData = new InteractionDataset("base", ["u0", "u1"], ["i0", "i1", "i2", "i3", "i4", "i5"],
            [[0, 1], [2, 3]], null, null);
        int[][] Trained(IEnumerable<int> arrival)
        {
            var accounts = arrival.Select((p, seq) => (
                new AccountRecord($"acct-{p}", "k", 0, Profiles[p].Length, false, seq),
                (IReadOnlyList<StoredInteraction>)Profiles[p].Select((item, t) => new StoredInteraction(item, null, 100 + t)).ToArray())).ToArray();
            var (data, accountUsers) = TrainingData.Build(baseData, accounts, 1f);
            Assert.Equal(accounts.Length, accountUsers.Count);
            Assert.Equal([0, 1], data.Sequences[0]);
            Assert.Equal([2, 3], data.Sequences[1]);
            return data.Sequences.Skip(2).ToArray();
        }

        var forward = Trained([0, 1, 2, 3, 4]);
        var backward = Trained([4, 3, 2, 1, 0]);
        Assert.Equal(forward, backward);
        // Lexicographic on item indices, a prefix before its extensions.
        Assert.Equal([[0, 3], [0, 3], [2, 2, 4], [5, 1], [5, 1, 2]], forward);
    }

    [Fact]
    public void Interactions_keep_their_time_order_inside_an_account()
    {
        var baseData = new InteractionDataset("base", ["u0"], ["i0", "i1", "i2"], [[0]], null, null);
        var account = new AccountRecord("acct", "k", 0, 3, false, 0);
        IReadOnlyList<StoredInteraction> recorded = [new(2, null, 300), new(0, null, 100), new(1, null, 100)];
        var (data, _) = TrainingData.Build(baseData, [(account, recorded)], 1f);
        Assert.Equal([0, 1, 2], data.Sequences[1]);
    }

    [Fact]
    public async Task The_same_profiles_registered_in_another_order_train_the_same_model()
    {
        async Task<EvaluateReply> RunAsync(IEnumerable<int> arrival)
        {
            await using var h = await PlatformHarness.StartAsync();
            await h.Referee.ConfigureAsync(PlatformHarness.SmallScenario());
            var items = await h.ItemsAsync();
            foreach (var p in arrival)
            {
                var account = (await h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
                var record = new RecordRequest { AccountId = account };
                foreach (var item in Profiles[p]) record.Interactions.Add(new Interaction { ItemId = items[item] });
                await h.Attacker.RecordAsync(record);
            }
            await h.Referee.RetrainAsync(new RetrainRequest());
            var users = new List<string>();
            await foreach (var page in h.Attacker.Crawl(new CrawlRequest { PageSize = 100 }).ResponseStream.ReadAllAsync())
                users.AddRange(page.Users.Select(u => u.UserId));
            var request = new EvaluateRequest { K = 10 };
            request.TargetItems.Add(items.Take(40));
            request.TargetUsers.Add(users.Where(u => !u.StartsWith("acct-", StringComparison.Ordinal)).Take(50));
            return await h.Referee.EvaluateAsync(request);
        }

        var forward = await RunAsync([0, 1, 2, 3, 4]);
        var backward = await RunAsync([4, 3, 2, 1, 0]);
        Assert.Equal(forward.DisplayRate, backward.DisplayRate);
        Assert.Equal(forward.MeanItemHitRatio, backward.MeanItemHitRatio);
        Assert.Equal(forward.Items, backward.Items);
    }
}
