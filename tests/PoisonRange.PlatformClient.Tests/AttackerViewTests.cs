using PoisonRange.Contracts.Platform.V1;
using Xunit;

namespace PoisonRange.Client.Tests;

public sealed class AttackerViewTests
{
    private static UserHistory User(string id, params (string Item, long Ts, float? Rating)[] xs)
    {
        var h = new UserHistory { UserId = id };
        foreach (var (item, ts, rating) in xs)
        {
            var x = new Interaction { ItemId = item, TimestampMs = ts };
            if (rating is { } r) x.Rating = r;
            h.Interactions.Add(x);
        }
        return h;
    }

    [Fact]
    public void A_crawl_becomes_a_dense_dataset_with_external_ids()
    {
        var catalogue = new[] { "a", "b", "c", "d" }.Select(id => new Item { ItemId = id }).ToList();
        var histories = new[]
        {
            User("u1", ("c", 30, null), ("a", 10, null), ("zz", 20, null)),
            User("u2", ("d", 5, null)),
            User("u3"),
            User("mine", ("a", 1, null)),
        };

        var ds = AttackerView.FromCrawl(histories, catalogue.Select(i => i.ItemId),
            new AttackerViewOptions { ExcludeUsers = new HashSet<string> { "mine" } }, out var stats);

        Assert.Equal(["a", "b", "c", "d"], ds.ItemIds);
        Assert.Equal(["u1", "u2"], ds.UserIds);
        Assert.Equal([0, 2], ds.Sequences[0]); // sorted by time, unknown item dropped
        Assert.Equal([10L, 30L], ds.Timestamps![0]);
        Assert.Null(ds.Ratings);
        Assert.True(ds.TryGetItem("d", out var d) && d == 3);
        Assert.Equal(1, stats.DroppedUnknownItems);
        Assert.Equal(1, stats.ExcludedUsers);
        Assert.Equal(3, stats.Interactions);
    }

    [Fact]
    public void Ratings_are_kept_when_every_interaction_has_one_and_pages_are_merged()
    {
        var histories = new[]
        {
            User("u1", ("a", 2, 4f)),
            User("u2", ("b", 1, 2f)),
            User("u1", ("b", 1, 5f)),
        };
        var ds = AttackerView.FromCrawl(histories, new[] { new Item { ItemId = "a" }, new Item { ItemId = "b" } });
        Assert.Equal(["u1", "u2"], ds.UserIds);
        Assert.Equal([1, 0], ds.Sequences[0]);
        Assert.Equal([5f, 4f], ds.Ratings![0]);
    }
}
