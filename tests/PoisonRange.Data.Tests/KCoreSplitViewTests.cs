namespace PoisonRange.Data.Tests;

public sealed class KCoreTests
{
    /// <summary>A random sparse dataset with a long tail, so filtering cascades over several rounds.</summary>
    private static InteractionDataset Sparse(ulong seed)
    {
        var rng = new SeededRandom(seed);
        int users = 300, items = 200;
        var seqs = new int[users][];
        var times = new long[users][];
        for (int u = 0; u < users; u++)
        {
            int n = 1 + (int)rng.NextExponential(6);
            seqs[u] = Enumerable.Range(0, n).Select(_ => (int)Math.Min(items - 1, rng.NextExponential(40))).ToArray();
            times[u] = Enumerable.Range(0, n).Select(i => 1000L * i).ToArray();
        }
        return new InteractionDataset("sparse",
            Enumerable.Range(0, users).Select(u => "u" + u).ToArray(),
            Enumerable.Range(0, items).Select(i => "i" + i).ToArray(), seqs, times, null);
    }

    /// <summary>Reference k-core on (user, item) occurrence lists: remove one violating node at a time.</summary>
    private static (HashSet<string> Users, HashSet<string> Items) Reference(InteractionDataset d, int minU, int minI)
    {
        var rows = new List<(string U, string I)>();
        for (int u = 0; u < d.UserCount; u++) foreach (var i in d.Sequences[u]) rows.Add((d.UserIds[u], d.ItemIds[i]));
        while (true)
        {
            var badUser = rows.GroupBy(r => r.U).FirstOrDefault(g => g.Count() < minU)?.Key;
            if (badUser is not null) { rows.RemoveAll(r => r.U == badUser); continue; }
            var badItem = rows.GroupBy(r => r.I).FirstOrDefault(g => g.Count() < minI)?.Key;
            if (badItem is not null) { rows.RemoveAll(r => r.I == badItem); continue; }
            break;
        }
        return (rows.Select(r => r.U).ToHashSet(), rows.Select(r => r.I).ToHashSet());
    }

    [Theory]
    [InlineData(5, 5)]
    [InlineData(3, 8)]
    [InlineData(10, 2)]
    public void MatchesTheReferenceAndHoldsTheInvariants(int minU, int minI)
    {
        var d = Sparse(11);
        var k = KCore.Filter(d, minU, minI);
        var (refUsers, refItems) = Reference(d, minU, minI);

        Assert.True(k.UserCount < d.UserCount, "the test data should lose users");
        Assert.Equal(refUsers.OrderBy(x => x), k.UserIds.OrderBy(x => x));
        Assert.Equal(refItems.OrderBy(x => x), k.ItemIds.OrderBy(x => x));
        Assert.All(k.Sequences, s => Assert.True(s.Length >= minU));
        Assert.All(k.ItemPopularity(), c => Assert.True(c >= minI));

        // Dense ids, relative order and external ids kept; sequences are the originals minus removed items.
        Assert.Equal(k.UserIds, d.UserIds.Where(refUsers.Contains));
        Assert.Equal(k.ItemIds, d.ItemIds.Where(refItems.Contains));
        for (int u = 0; u < k.UserCount; u++)
        {
            Assert.True(d.TryGetUser(k.UserIds[u], out int ou));
            var expected = d.Sequences[ou].Select((item, p) => (Id: d.ItemIds[item], T: d.Timestamps![ou][p])).Where(x => refItems.Contains(x.Id)).ToArray();
            Assert.Equal(expected.Select(x => x.Id), k.Sequences[u].Select(i => k.ItemIds[i]));
            Assert.Equal(expected.Select(x => x.T), k.Timestamps![u]);
        }
    }

    [Fact]
    public void AlreadyDenseDataIsUnchangedAndZeroCoreKeepsEverything()
    {
        var d = SyntheticGenerator.Generate(new SyntheticOptions { Users = 100, Items = 50, Successors = 4, MeanLength = 20 });
        var k = KCore.Filter(d, 1, 0);
        Assert.Equal(d.UserIds, k.UserIds);
        Assert.Equal(d.ItemIds, k.ItemIds);
        Assert.Equal(d.Sequences, k.Sequences);
        Assert.Equal(d.InteractionCount, KCore.Filter(d, 0, 0).InteractionCount);
    }

    [Fact]
    public void EverythingCanBeFilteredAway()
    {
        var d = Sparse(2);
        var k = KCore.Filter(d, 1000, 1);
        Assert.Equal(0, k.UserCount);
        Assert.Equal(0, k.ItemCount);
    }
}

public sealed class SplitTests
{
    private static InteractionDataset Data() => new("d",
        ["a", "b", "c", "e"], ["x", "y", "z", "w"],
        [[0, 1, 2, 3], [2, 1], [3], [1, 1, 0]],
        [[1, 2, 3, 4], [5, 6], [7], [8, 9, 10]],
        [[1, 2, 3, 4], [5, 4], [3], [2, 1, 5]]);

    [Fact]
    public void LeaveLastTwoOut()
    {
        var d = Data();
        var s = Splits.LeaveLastTwoOut(d);
        Assert.Equal(new[] { 2, -1, -1, 1 }, s.ValidationItem);
        Assert.Equal(new[] { 3, -1, -1, 0 }, s.TestItem);
        Assert.Equal(new[] { 0, 1 }, s.Train.Sequences[0]);
        Assert.Equal(new[] { 2, 1 }, s.Train.Sequences[1]);
        Assert.Equal(new[] { 3 }, s.Train.Sequences[2]);
        Assert.Equal(new[] { 1 }, s.Train.Sequences[3]);
        Assert.Equal(new[] { 1L, 2L }, s.Train.Timestamps![0]);
        Assert.Equal(new[] { 2f }, s.Train.Ratings![3]);
        Assert.Same(d.UserIds, s.Train.UserIds);
        Assert.Same(d.ItemIds, s.Train.ItemIds);
        Assert.Equal(new[] { 0, 3 }, s.EvaluableUsers());
        Assert.Equal(new[] { 0, 1, 2 }, s.TrainWithValidation.Sequences[0]);
        Assert.Equal(new[] { 2, 1 }, s.TrainWithValidation.Sequences[1]);
        // The source is untouched.
        Assert.Equal(new[] { 0, 1, 2, 3 }, d.Sequences[0]);
    }

    [Fact]
    public void LeaveLastTwoOut_InvariantsOnGeneratedData()
    {
        var d = SyntheticGenerator.Generate(new SyntheticOptions { Users = 200, Items = 100, MinLength = 1, MeanLength = 6, Successors = 4 });
        var s = Splits.LeaveLastTwoOut(d);
        Assert.Contains(d.Sequences, q => q.Length < 3);
        for (int u = 0; u < d.UserCount; u++)
        {
            var seq = d.Sequences[u];
            if (seq.Length < 3)
            {
                Assert.Equal(-1, s.TestItem[u]);
                Assert.Equal(-1, s.ValidationItem[u]);
                Assert.Equal(seq, s.Train.Sequences[u]);
            }
            else
            {
                Assert.Equal(seq, s.Train.Sequences[u].Append(s.ValidationItem[u]).Append(s.TestItem[u]));
                Assert.Equal(d.Timestamps![u][..^2], s.Train.Timestamps![u]);
            }
        }
        Assert.Equal(d.InteractionCount, s.Train.InteractionCount + 2 * s.EvaluableUsers().Count());
    }

    [Fact]
    public void LeaveLastOut()
    {
        var s = Splits.LeaveLastOut(Data());
        Assert.Equal(new[] { 3, 1, -1, 0 }, s.TestItem);
        Assert.Equal(new[] { 0, 1, 2 }, s.Train.Sequences[0]);
        Assert.Equal(new[] { 2 }, s.Train.Sequences[1]);
        Assert.Equal(new[] { 3 }, s.Train.Sequences[2]);
        Assert.Equal(new[] { 0, 1, 3 }, s.EvaluableUsers());
    }

    [Fact]
    public void RandomHoldout_PartitionsEachUserDeterministically()
    {
        var d = SyntheticGenerator.Generate(new SyntheticOptions { Users = 300, Items = 200, Successors = 4, MeanLength = 20 });
        var a = Splits.RandomHoldout(d, 0.2, 9);
        var b = Splits.RandomHoldout(d, 0.2, 9);
        var c = Splits.RandomHoldout(d, 0.2, 10);
        Assert.Equal(a.Test, b.Test);
        Assert.Equal(a.Train.Sequences, b.Train.Sequences);
        Assert.NotEqual(a.Test, c.Test);

        long test = 0;
        for (int u = 0; u < d.UserCount; u++)
        {
            var seq = d.Sequences[u];
            Assert.Equal((int)Math.Round(seq.Length * 0.2, MidpointRounding.AwayFromZero), a.Test[u].Length);
            Assert.Equal(seq.Order(), a.Train.Sequences[u].Concat(a.Test[u]).Order());
            Assert.NotEmpty(a.Train.Sequences[u]);
            // Training keeps chronological order: its timestamps are increasing.
            var t = a.Train.Timestamps![u];
            for (int i = 1; i < t.Length; i++) Assert.True(t[i - 1] < t[i]);
            test += a.Test[u].Length;
        }
        Assert.InRange(test / (double)d.InteractionCount, 0.17, 0.23);
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.RandomHoldout(d, 1.0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.RandomHoldout(d, 0, 1));
    }

    [Fact]
    public void RandomHoldout_NeverEmptiesAUser()
    {
        var d = new InteractionDataset("d", ["a", "b"], ["x", "y"], [[0], [0, 1]], null, null);
        var s = Splits.RandomHoldout(d, 0.9, 1);
        Assert.Equal(new[] { 0 }, s.Train.Sequences[0]);
        Assert.Empty(s.Test[0]);
        Assert.Single(s.Train.Sequences[1]);
        Assert.Single(s.Test[1]);
    }
}

public sealed class KnowledgeViewTests
{
    private static readonly InteractionDataset D = SyntheticGenerator.Generate(new SyntheticOptions { Users = 400, Items = 150, Successors = 4, MeanLength = 15, WithRatings = true });

    [Fact]
    public void FractionOneReturnsTheDataset()
    {
        Assert.Same(D, KnowledgeViews.SampleInteractions(D, 1.0, 1));
        Assert.Same(D, KnowledgeViews.SampleUsers(D, 1.0, 1));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void InvalidFractionsThrow(double f)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KnowledgeViews.SampleInteractions(D, f, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => KnowledgeViews.SampleUsers(D, f, 1));
    }

    [Fact]
    public void SampleInteractions_IsADeterministicOrderedSubset()
    {
        var a = KnowledgeViews.SampleInteractions(D, 0.3, 5);
        var b = KnowledgeViews.SampleInteractions(D, 0.3, 5);
        var c = KnowledgeViews.SampleInteractions(D, 0.3, 6);
        Assert.Equal(a.Sequences, b.Sequences);
        Assert.Equal(a.UserIds, b.UserIds);
        Assert.NotEqual(a.Sequences.SelectMany(s => s), c.Sequences.SelectMany(s => s));
        Assert.Equal((long)Math.Round(D.InteractionCount * 0.3, MidpointRounding.AwayFromZero), a.InteractionCount);
        Assert.Same(D.ItemIds, a.ItemIds);

        for (int u = 0; u < a.UserCount; u++)
        {
            Assert.NotEmpty(a.Sequences[u]);
            Assert.True(D.TryGetUser(a.UserIds[u], out int ou));
            // A subsequence of the original, with matching timestamps and ratings.
            var full = D.Sequences[ou];
            int p = 0;
            for (int k = 0; k < a.Sequences[u].Length; k++)
            {
                while (full[p] != a.Sequences[u][k] || D.Timestamps![ou][p] != a.Timestamps![u][k]) p++;
                Assert.Equal(D.Ratings![ou][p], a.Ratings![u][k]);
                p++;
            }
        }
    }

    [Fact]
    public void SampleUsers_KeepsWholeSequencesOfAFractionOfUsers()
    {
        var a = KnowledgeViews.SampleUsers(D, 0.25, 5);
        var b = KnowledgeViews.SampleUsers(D, 0.25, 5);
        var c = KnowledgeViews.SampleUsers(D, 0.25, 6);
        Assert.Equal(100, a.UserCount);
        Assert.Equal(a.UserIds, b.UserIds);
        Assert.NotEqual(a.UserIds, c.UserIds);
        Assert.Same(D.ItemIds, a.ItemIds);
        for (int u = 0; u < a.UserCount; u++)
        {
            Assert.True(D.TryGetUser(a.UserIds[u], out int ou));
            Assert.Equal(D.Sequences[ou], a.Sequences[u]);
            if (u > 0) Assert.True(D.TryGetUser(a.UserIds[u - 1], out int prev) && prev < ou, "users keep their original order");
        }
        Assert.Single(KnowledgeViews.SampleUsers(D, 1e-9, 1).UserIds);
    }
}
