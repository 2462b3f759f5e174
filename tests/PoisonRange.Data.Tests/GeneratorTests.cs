
namespace PoisonRange.Data.Tests;

public sealed class GeneratorTests
{
    [Fact]
    public void DefaultsMatchTheDocumentedValues()
    {
        var o = new SyntheticOptions();
        Assert.Equal((1000, 500, 16, 40.0, 8, 1.0, 0.5, 42UL, true), (o.Users, o.Items, o.Rank, o.MeanLength, o.MinLength, o.PopularitySkew, o.SequentialStrength, o.Seed, o.WithTimestamps));
    }

    [Fact]
    public void IsDeterministicForASeed()
    {
        var a = SyntheticGenerator.Generate(new SyntheticOptions { Seed = 5, WithRatings = true });
        var b = SyntheticGenerator.Generate(new SyntheticOptions { Seed = 5, WithRatings = true });
        var c = SyntheticGenerator.Generate(new SyntheticOptions { Seed = 6, WithRatings = true });
        Assert.Equal(a.Sequences, b.Sequences);
        Assert.Equal(a.Timestamps, b.Timestamps);
        Assert.Equal(a.Ratings, b.Ratings);
        Assert.NotEqual(a.Sequences, c.Sequences);
    }

    [Fact]
    public void IsShapedAsConfigured()
    {
        var o = new SyntheticOptions { Users = 700, Items = 300, MeanLength = 25, MinLength = 5, Seed = 3 };
        var d = SyntheticGenerator.Generate(o);
        Assert.Equal(700, d.UserCount);
        Assert.Equal(300, d.ItemCount);
        Assert.Equal("synthetic", d.Name);
        Assert.Equal("u1", d.UserIds[0]);
        Assert.Equal("u700", d.UserIds[^1]);
        Assert.Equal("i1", d.ItemIds[0]);
        Assert.Equal("i300", d.ItemIds[^1]);
        Assert.True(d.HasTimestamps);
        Assert.False(d.HasRatings);
        Assert.All(d.Sequences, s =>
        {
            Assert.InRange(s.Length, 5, 125);
            Assert.Equal(s.Length, s.Distinct().Count());
        });
        Assert.InRange(d.InteractionCount / (double)d.UserCount, 25 * 0.85, 25 * 1.15);
        foreach (var t in d.Timestamps!)
        {
            for (int i = 1; i < t.Length; i++) Assert.True(t[i] > t[i - 1]);
            Assert.InRange(t[0], o.StartTimeMs, o.StartTimeMs + 400L * 24 * 3600 * 1000);
        }

        var noTime = SyntheticGenerator.Generate(o with { WithTimestamps = false, WithRatings = true });
        Assert.False(noTime.HasTimestamps);
        Assert.All(noTime.Ratings!.SelectMany(r => r), r => Assert.InRange(r, 1f, 5f));
        Assert.Equal(d.Sequences, noTime.Sequences);
    }

    [Fact]
    public void PopularitySkewConcentratesInteractions()
    {
        double TopShare(double skew)
        {
            var pop = SyntheticGenerator.Generate(new SyntheticOptions { PopularitySkew = skew, SequentialStrength = 0 }).ItemPopularity();
            return pop.OrderDescending().Take(50).Sum() / (double)pop.Sum();
        }
        double flat = TopShare(0), skewed = TopShare(1.5);
        Assert.True(skewed > flat + 0.1, $"top-10% share: skew 0 {flat:F3}, skew 1.5 {skewed:F3}");
    }

    [Fact]
    public void SequentialStrengthControlsSuccessorTransitions()
    {
        double Share(double strength)
        {
            var r = SyntheticGenerator.GenerateDetailed(new SyntheticOptions { SequentialStrength = strength });
            long hits = 0, n = 0;
            foreach (var s in r.Dataset.Sequences)
                for (int t = 1; t < s.Length; t++, n++)
                    if (Array.IndexOf(r.Successors[s[t - 1]], s[t]) >= 0) hits++;
            return hits / (double)n;
        }
        Assert.True(Share(0) < 0.1);
        Assert.InRange(Share(0.5), 0.4, 0.6);
    }

    [Fact]
    public void InvalidOptionsThrow()
    {
        Assert.Throws<ArgumentException>(() => SyntheticGenerator.Generate(new SyntheticOptions { Users = 0 }));
        Assert.Throws<ArgumentException>(() => SyntheticGenerator.Generate(new SyntheticOptions { Items = 5, MinLength = 8 }));
        Assert.Throws<ArgumentException>(() => SyntheticGenerator.Generate(new SyntheticOptions { SequentialStrength = 1.5 }));
        Assert.Throws<ArgumentException>(() => SyntheticGenerator.Generate(new SyntheticOptions { MeanLength = 3 }));
    }

    /// <summary>
    /// The data is learnable: on leave-last-out HR@10, BPR matrix factorisation clearly beats
    /// popularity, and a first-order Markov model gains a lot from the true order compared with
    /// the same model trained on shuffled sequences.
    /// </summary>
    [Fact]
    public void IsLearnable_MfBeatsPopularity_AndOrderHelpsASequentialModel()
    {
        var d = SyntheticGenerator.Generate();
        var split = Splits.LeaveLastOut(d);
        var train = split.Train;
        int items = d.ItemCount;
        var pop = train.ItemPopularity().Select(c => (float)c).ToArray();

        double hrPop = Evaluate(split, _ => pop);
        double hrBpr = Evaluate(split, Bpr(train, rank: 16, epochs: 25, seed: 1));
        double hrMarkov = Evaluate(split, Markov(train, pop, shuffle: false));
        double hrShuffled = Evaluate(split, Markov(train, pop, shuffle: true));

        Assert.True(hrBpr > 1.5 * hrPop, $"BPR {hrBpr:F3} vs popularity {hrPop:F3}");
        Assert.True(hrMarkov > 2 * hrShuffled, $"Markov {hrMarkov:F3} vs Markov on shuffled sequences {hrShuffled:F3}");
        Assert.True(hrMarkov > hrBpr, $"Markov {hrMarkov:F3} vs BPR {hrBpr:F3}");

        // Without sequential structure the order carries nothing.
        var flat = SyntheticGenerator.Generate(new SyntheticOptions { SequentialStrength = 0 });
        var flatSplit = Splits.LeaveLastOut(flat);
        var flatPop = flatSplit.Train.ItemPopularity().Select(c => (float)c).ToArray();
        double flatMarkov = Evaluate(flatSplit, Markov(flatSplit.Train, flatPop, shuffle: false));
        Assert.True(flatMarkov < hrMarkov / 3, $"Markov on order-free data {flatMarkov:F3}");
    }

    private static double Evaluate(LeaveLastOutSplit split, Func<int, float[]> score)
    {
        int hits = 0, n = 0;
        foreach (var u in split.EvaluableUsers())
        {
            var top = TopK.Select(score(u), 10, split.Train.Sequences[u]);
            if (Array.IndexOf(top, split.TestItem[u]) >= 0) hits++;
            n++;
        }
        return hits / (double)n;
    }

    private static Func<int, float[]> Markov(InteractionDataset train, float[] pop, bool shuffle)
    {
        int items = train.ItemCount;
        var counts = new float[items * items];
        var rng = new SeededRandom(5);
        foreach (var s0 in train.Sequences)
        {
            var s = (int[])s0.Clone();
            if (shuffle) rng.Shuffle(s);
            for (int t = 1; t < s.Length; t++) counts[s[t - 1] * items + s[t]]++;
        }
        return u =>
        {
            int last = train.Sequences[u][^1];
            var row = new float[items];
            for (int j = 0; j < items; j++) row[j] = counts[last * items + j] + 1e-3f * pop[j];
            return row;
        };
    }

    private static Func<int, float[]> Bpr(InteractionDataset train, int rank, int epochs, ulong seed)
    {
        int items = train.ItemCount;
        var rng = new SeededRandom(seed);
        var p = new float[train.UserCount * rank];
        var q = new float[items * rank];
        for (int i = 0; i < p.Length; i++) p[i] = (float)(0.1 * rng.NextGaussian());
        for (int i = 0; i < q.Length; i++) q[i] = (float)(0.1 * rng.NextGaussian());
        var pairs = new List<(int U, int I)>();
        var seen = new HashSet<long>();
        for (int u = 0; u < train.UserCount; u++)
            foreach (var i in train.Sequences[u]) { pairs.Add((u, i)); seen.Add((long)u * items + i); }
        const float lr = 0.05f, reg = 0.01f;
        for (int step = 0; step < epochs * pairs.Count; step++)
        {
            var (u, i) = pairs[rng.Next(pairs.Count)];
            int j;
            do j = rng.Next(items); while (seen.Contains((long)u * items + j));
            float x = 0;
            for (int f = 0; f < rank; f++) x += p[u * rank + f] * (q[i * rank + f] - q[j * rank + f]);
            float g = 1f / (1f + MathF.Exp(x));
            for (int f = 0; f < rank; f++)
            {
                float pu = p[u * rank + f], qi = q[i * rank + f], qj = q[j * rank + f];
                p[u * rank + f] += lr * (g * (qi - qj) - reg * pu);
                q[i * rank + f] += lr * (g * pu - reg * qi);
                q[j * rank + f] += lr * (-g * pu - reg * qj);
            }
        }
        return u =>
        {
            var row = new float[items];
            for (int j = 0; j < items; j++)
            {
                float x = 0;
                for (int f = 0; f < rank; f++) x += p[u * rank + f] * q[j * rank + f];
                row[j] = x;
            }
            return row;
        };
    }
}
