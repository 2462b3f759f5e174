using PoisonRange.Agent.Loki;
using Xunit;

namespace PoisonRange.Agent.Tests.Loki;

public sealed class ItemGroupingTests
{
    private static readonly ItemGroupingOptions Four = new() { Groups = 4, Rank = 4, Seed = 11 };

    [Fact]
    public void Planted_clusters_are_recovered_and_targets_form_their_own_group()
    {
        var (view, planted) = LokiTestData.Planted();
        int[] targets = [0, 5, 10]; // from clusters 0, 1 and 2
        var groups = ItemGrouping.Compute(view, targets, Four);

        Assert.Equal(5, groups.Count);
        Assert.Equal(4, groups.TargetGroup);
        Assert.Equal(targets, groups.Members(groups.TargetGroup));
        var seen = new HashSet<int>();
        for (int g = 0; g < groups.Count; g++)
        {
            Assert.NotEmpty(groups.Members(g));
            foreach (var item in groups.Members(g))
            {
                Assert.True(seen.Add(item), $"item {item} is in two groups");
                Assert.Equal(g, groups.GroupOf(item));
            }
        }
        Assert.Equal(view.ItemCount, seen.Count);

        // Each non-target group is exactly one planted cluster (minus the targets).
        var clustersUsed = new HashSet<int>();
        for (int g = 0; g < 4; g++)
        {
            var labels = groups.Members(g).Select(i => planted[i]).Distinct().ToArray();
            Assert.True(labels.Length == 1, $"group {g} mixes planted clusters {string.Join(",", labels)}");
            Assert.True(clustersUsed.Add(labels[0]));
        }
        Assert.NotNull(groups.Report);
        Assert.True(groups.Report!.NmfRelativeError < 1);
        Assert.All(groups.Features!, f => Assert.Equal(Four.Rank + 1, f.Length));
    }

    [Fact]
    public void Anchor_items_form_a_group_of_their_own_before_the_targets()
    {
        var (view, _) = LokiTestData.Planted();
        int[] targets = [0, 5, 10];
        var plain = ItemGrouping.Compute(view, targets, Four);
        Assert.Equal(-1, plain.AnchorGroup);

        // The anchors given twice or overlapping a target are taken once and never from the targets.
        var groups = ItemGrouping.Compute(view, targets, Four, anchorItems: [7, 3, 5, 7, 12]);
        Assert.Equal(6, groups.Count);
        Assert.Equal(4, groups.AnchorGroup);
        Assert.Equal(5, groups.TargetGroup);
        Assert.Equal([7, 3, 12], groups.Members(groups.AnchorGroup));
        Assert.Equal(targets, groups.Members(groups.TargetGroup));
        for (int g = 0; g < 4; g++)
            Assert.DoesNotContain(groups.Members(g), i => i is 7 or 3 or 12 || targets.Contains(i));
        Assert.Equal(view.ItemCount, Enumerable.Range(0, groups.Count).Sum(g => groups.Members(g).Count));
        Assert.Equal(groups.Count, groups.Features!.Count);

        Assert.Contains("Anchor item index 999", Assert.Throws<ArgumentException>(() => ItemGrouping.Compute(view, targets, Four, anchorItems: [999])).Message);
        Assert.Contains("Anchor group", Assert.Throws<ArgumentException>(() => new ItemGroups(10, [[1], [2]], 1, anchorGroup: 1)).Message);
    }

    [Fact]
    public void Anchor_items_are_the_target_users_most_recent_non_target_items()
    {
        var view = new PoisonRange.Data.InteractionDataset("anchors", ["u0", "u1", "u2"], Enumerable.Range(0, 10).Select(i => $"i{i}").ToArray(),
            [[1, 2, 3, 4, 2], [5, 6, 9, 6], [7]], null, null);
        var options = new LokiOptions { AnchorRecentItems = 2 };
        // Newest first, distinct, targets skipped, two per user: user 0 gives 2 and 4, user 1 gives 6 and 5 (9 is a target).
        Assert.Equal([2, 4, 6, 5], options.AnchorItems(view, [0, 1], [9]));
        // With 5 a target too, user 1 has only 6; an item already taken is not repeated.
        Assert.Equal([6, 2, 4], options.AnchorItems(view, [1, 0], [9, 5]));
        Assert.Equal([2, 4, 3], (options with { AnchorRecentItems = 3 }).AnchorItems(view, [0], [9]));
        Assert.Empty(new LokiOptions().AnchorItems(view, [0, 1], [9]));
        Assert.Contains("outside the view", Assert.Throws<ArgumentException>(() => options.AnchorItems(view, [3], [9])).Message);
        Assert.Contains("anchor", Assert.Throws<ArgumentException>(() => (options with { AnchorRecentItems = -1 }).Validate()).Message);
    }

    [Fact]
    public void Same_seed_gives_the_same_groups_for_any_thread_count()
    {
        var view = LokiTestData.Synthetic(users: 80, items: 150);
        int[] targets = [3, 40, 77];
        var options = new ItemGroupingOptions { Groups = 6, Rank = 8, Seed = 21 };
        var a = ItemGrouping.Compute(view, targets, options);
        var b = ItemGrouping.Compute(view, targets, options with { Threads = 2 });
        var c = ItemGrouping.Compute(view, targets, options with { Seed = 22 });
        for (int g = 0; g < a.Count; g++) Assert.Equal(a.Members(g), b.Members(g));
        Assert.Equal(a.Report!.KMeansInertia, b.Report!.KMeansInertia);
        Assert.True(Enumerable.Range(0, a.Count).Any(g => !a.Members(g).SequenceEqual(c.Members(g))) || a.Report.KMeansInertia != c.Report!.KMeansInertia,
            "another seed should give another factorisation");
    }

    [Fact]
    public void Factorisation_lowers_the_reconstruction_error()
    {
        var view = LokiTestData.Synthetic(users: 80, items: 150);
        var one = ItemGrouping.Factorize(view, new ItemGroupingOptions { Rank = 8, NmfIterations = 1, NmfTolerance = 0 });
        var many = ItemGrouping.Factorize(view, new ItemGroupingOptions { Rank = 8, NmfIterations = 60, NmfTolerance = 0 });
        Assert.Equal(1, one.Iterations);
        Assert.Equal(60, many.Iterations);
        Assert.True(many.RelativeError < 0.9 * one.RelativeError, $"error {many.RelativeError} after 60 iterations vs {one.RelativeError} after 1");
        Assert.All(many.ItemFactors, v => Assert.True(v >= 0 && double.IsFinite(v)));
        Assert.All(many.UserFactors, v => Assert.True(v >= 0 && double.IsFinite(v)));
    }

    [Fact]
    public void KMeans_makes_non_empty_clusters_even_from_duplicate_points()
    {
        // 30 points, only 3 distinct; 6 clusters requested.
        var points = new double[30 * 2];
        for (int p = 0; p < 30; p++) points[2 * p] = p % 3;
        var result = ItemGrouping.KMeans(points, 2, 6, new ItemGroupingOptions { Seed = 4 });
        var sizes = new int[6];
        foreach (var a in result.Assignment) sizes[a]++;
        Assert.All(sizes, s => Assert.True(s > 0));
        Assert.Equal(0, result.Inertia, 9);
    }

    [Fact]
    public void Too_many_groups_or_bad_options_give_clear_errors()
    {
        var (view, _) = LokiTestData.Planted();
        var tooMany = Assert.Throws<ArgumentException>(() => ItemGrouping.Compute(view, [0, 1], new ItemGroupingOptions { Groups = 59 }));
        Assert.Contains("groups = 59 is too large", tooMany.Message);
        Assert.Contains("58 to cluster", tooMany.Message);
        Assert.Contains("rank", Assert.Throws<ArgumentException>(() => ItemGrouping.Compute(view, [0], new ItemGroupingOptions { Rank = 0 })).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => ItemGrouping.Compute(view, [], Four)).Message);
        Assert.Contains("outside the catalogue", Assert.Throws<ArgumentException>(() => ItemGrouping.Compute(view, [60], Four)).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => ItemGrouping.Compute(view, [1, 1], Four)).Message);
        // Exactly as many groups as non-target items works: one item per group.
        var single = ItemGrouping.Compute(view, [0, 1], new ItemGroupingOptions { Groups = 58, Rank = 3 });
        Assert.All(Enumerable.Range(0, 58), g => Assert.Single(single.Members(g)));
    }

    [Fact]
    public void Hand_made_groups_are_checked()
    {
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => new ItemGroups(10, [[1, 2], []], 0)).Message);
        Assert.Contains("in groups 0 and 1", Assert.Throws<ArgumentException>(() => new ItemGroups(10, [[1, 2], [2]], 0)).Message);
        Assert.Contains("outside the catalogue", Assert.Throws<ArgumentException>(() => new ItemGroups(10, [[1, 12]], 0)).Message);
        Assert.Contains("Target group", Assert.Throws<ArgumentException>(() => new ItemGroups(10, [[1]], 1)).Message);
    }
}
