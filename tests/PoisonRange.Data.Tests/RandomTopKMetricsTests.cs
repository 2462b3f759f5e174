namespace PoisonRange.Data.Tests;

public sealed class SeededRandomTests
{
    [Theory]
    // Values the model zoo's former generator (xoshiro256** with 64-bit bounded integers) gave
    // for these seeds: every model trained with a seed keeps its random stream.
    [InlineData(1UL, 12966619160104079557UL, 9600361134598540522UL, 574, 391, 2, 308318601, 0.07104521606921232, 0.9324777754356527, -1.0292856825102457, new[] { 1, 9, 0, 3, 2, 4, 6, 7, 8, 5 })]
    [InlineData(42UL, 1546998764402558742UL, 6990951692964543102UL, 680, 924, 2, 1653002903, 0.7192585778779156, 0.040709107285847895, -0.568648186185804, new[] { 0, 7, 8, 4, 3, 1, 9, 2, 6, 5 })]
    public void Full64BitsKeepsTheModelZoosStream(ulong seed, ulong u1, ulong u2, int a, int b, int c, int big, double d, double g1, double g2, int[] shuffled)
    {
        var r = new SeededRandom(seed, BoundedIntegers.Full64Bits);
        Assert.Equal(BoundedIntegers.Full64Bits, r.BoundedIntegers);
        Assert.Equal(u1, r.NextUInt64());
        Assert.Equal(u2, r.NextUInt64());
        Assert.Equal(a, r.Next(1000));
        Assert.Equal(b, r.Next(1000));
        Assert.Equal(c, r.Next(3));
        Assert.Equal(big, r.Next(int.MaxValue));
        Assert.Equal(d, r.NextDouble());
        Assert.Equal(g1, r.NextGaussian());
        Assert.Equal(g2, r.NextGaussian());
        var p = Enumerable.Range(0, 10).ToArray();
        r.Shuffle(p.AsSpan());
        Assert.Equal(shuffled, p);
    }

    [Fact]
    public void TheTwoBoundedIntegerMethodsShareEveryOtherDraw()
    {
        var upper = new SeededRandom(5);
        var full = new SeededRandom(5, BoundedIntegers.Full64Bits);
        Assert.Equal(BoundedIntegers.Upper32Bits, upper.BoundedIntegers);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(upper.NextUInt64(), full.NextUInt64());
            Assert.Equal(upper.NextDouble(), full.NextDouble());
            Assert.Equal(upper.NextGaussian(), full.NextGaussian());
            Assert.Equal(upper.NextInt64(1L << 40), full.NextInt64(1L << 40));
        }
        // Bounded integers can differ: the lower 32 bits of an output decide the draw only when
        // the bound is large (for a bound b about one draw in 2^32 / b differs).
        var a = Enumerable.Range(0, 64).Select(_ => upper.Next(int.MaxValue)).ToArray();
        var b = Enumerable.Range(0, 64).Select(_ => full.Next(int.MaxValue)).ToArray();
        Assert.NotEqual(a, b);
        Assert.All(b, x => Assert.InRange(x, 0, int.MaxValue - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeededRandom(1, (BoundedIntegers)7));
    }

    [Fact]
    public void SameSeedSameStream_DifferentSeedDifferentStream()
    {
        var a = new SeededRandom(42);
        var b = new SeededRandom(42);
        var c = new SeededRandom(43);
        var sa = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Assert.Equal(sa, Enumerable.Range(0, 100).Select(_ => b.NextUInt64()).ToArray());
        Assert.NotEqual(sa, Enumerable.Range(0, 100).Select(_ => c.NextUInt64()).ToArray());
        Assert.Equal(42UL, a.Seed);
    }

    [Fact]
    public void SplitMix64MatchesItsReferenceValues()
    {
        // Reference outputs of SplitMix64 for state 0 (published with the algorithm).
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, SeededRandom.SplitMix64(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, SeededRandom.SplitMix64(ref state));
        Assert.Equal(0x06C45D188009454FUL, SeededRandom.SplitMix64(ref state));
    }

    [Fact]
    public void StreamIsPinned()
    {
        // Pins the generator so results stay reproducible across refactorings.
        var r = new SeededRandom(1);
        var first = Enumerable.Range(0, 3).Select(_ => r.Next(1000)).ToArray();
        var again = new SeededRandom(1);
        Assert.Equal(first, Enumerable.Range(0, 3).Select(_ => again.Next(1000)).ToArray());
        Assert.Equal(PinnedFirstThree, first);
    }

    private static readonly int[] PinnedFirstThree = ComputePinned();

    private static int[] ComputePinned()
    {
        // xoshiro256** written out independently of SeededRandom, seeded through SplitMix64.
        ulong x = 1;
        ulong s0 = SplitMix(ref x), s1 = SplitMix(ref x), s2 = SplitMix(ref x), s3 = SplitMix(ref x);
        var result = new int[3];
        for (int k = 0; k < 3; k++)
        {
            ulong v = Rotl(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = Rotl(s3, 45);
            result[k] = (int)(((v >> 32) * 1000UL) >> 32);
        }
        return result;

        static ulong Rotl(ulong a, int b) => (a << b) | (a >> (64 - b));
        static ulong SplitMix(ref ulong st)
        {
            ulong z = st += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    [Fact]
    public void DistributionsLookRight()
    {
        var r = new SeededRandom(7);
        const int n = 200_000;
        var counts = new int[10];
        double sum = 0, sumSq = 0, gsum = 0, gsq = 0;
        for (int i = 0; i < n; i++)
        {
            int k = r.Next(10);
            counts[k]++;
            double u = r.NextDouble();
            Assert.InRange(u, 0.0, 0.9999999999999999);
            sum += u; sumSq += u * u;
            double g = r.NextGaussian();
            gsum += g; gsq += g * g;
        }
        Assert.All(counts, c => Assert.InRange(c, n / 10 * 0.97, n / 10 * 1.03));
        Assert.InRange(sum / n, 0.495, 0.505);
        Assert.InRange(sumSq / n - Math.Pow(sum / n, 2), 1.0 / 12 - 0.002, 1.0 / 12 + 0.002);
        Assert.InRange(gsum / n, -0.01, 0.01);
        Assert.InRange(gsq / n, 0.98, 1.02);
        for (int i = 0; i < 1000; i++) Assert.InRange(r.Next(-3, 4), -3, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Next(0));
    }

    [Fact]
    public void ShuffleAndSamplingArePermutationsAndSubsets()
    {
        var r = new SeededRandom(3);
        var a = Enumerable.Range(0, 100).ToArray();
        r.Shuffle(a);
        Assert.Equal(Enumerable.Range(0, 100), a.Order());
        Assert.NotEqual(Enumerable.Range(0, 100), a);
        var list = new List<int> { 1, 2, 3, 4, 5, 6, 7, 8 };
        r.Shuffle(list);
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6, 7, 8 }, list.Order());

        var s = r.SampleWithoutReplacement(50, 20);
        Assert.Equal(20, s.Distinct().Count());
        Assert.Equal(s.Order(), s);
        Assert.All(s, x => Assert.InRange(x, 0, 49));
        Assert.Equal(Enumerable.Range(0, 5), r.SampleWithoutReplacement(5, 5));

        var w = new double[] { 0, 1, 3 };
        var hits = new int[3];
        for (int i = 0; i < 40_000; i++) hits[r.NextWeighted(w)]++;
        Assert.Equal(0, hits[0]);
        Assert.InRange(hits[2] / (double)hits[1], 2.8, 3.2);
    }
}

public sealed class TopKTests
{
    // NaN and −∞ never rank; the rest by score, ties to the lower index.
    private static int[] Reference(float[] scores, int k, int[] exclude)
        => Enumerable.Range(0, scores.Length)
            .Where(i => !exclude.Contains(i) && !float.IsNaN(scores[i]) && !float.IsNegativeInfinity(scores[i]))
            .OrderByDescending(i => scores[i])
            .ThenBy(i => i)
            .Take(k).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MatchesAFullSort(ulong seed)
    {
        var r = new SeededRandom(seed);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = 1 + r.Next(300);
            // Coarse scores produce many ties.
            var scores = Enumerable.Range(0, n).Select(_ => (float)Math.Round(r.NextGaussian(), 1)).ToArray();
            if (trial % 5 == 0) scores[r.Next(n)] = float.NaN;
            if (trial % 7 == 0) scores[r.Next(n)] = float.NegativeInfinity;
            var exclude = r.SampleWithoutReplacement(n, r.Next(Math.Min(n, 30) + 1));
            r.Shuffle(exclude);
            int k = r.Next(n + 5);
            Assert.Equal(Reference(scores, k, exclude), TopK.Select(scores, k, exclude));
            Assert.Equal(Reference(scores, k, exclude), TopK.Select(scores.Select(x => (double)x).ToArray(), k, exclude));
        }
    }

    [Fact]
    public void TiesGoToTheLowerIndexAndExcludedNeverAppear()
    {
        var scores = new float[] { 1, 5, 5, 3, 5, float.NaN, 9 };
        Assert.Equal(new[] { 6, 1, 2, 4 }, TopK.Select(scores, 4));
        Assert.Equal(new[] { 6, 2, 4, 3, 0 }, TopK.Select(scores, 10, [1]));
        Assert.Empty(TopK.Select(scores, 0));
        Assert.Equal(new[] { 1, 2 }, TopK.Select(scores, 2, [6, 6]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TopK.Select(scores, 2, [7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TopK.Select(scores, -1));
    }

    [Fact]
    public void NaNAndMinusInfinityNeverRankAndPlusInfinityRanksFirst()
    {
        float[] scores = [0.5f, 2f, 2f, float.NegativeInfinity, 1f, float.NaN, float.NegativeInfinity, 2f];
        var top = new int[4];
        Assert.Equal(4, TopK.SelectInto(scores, top));
        Assert.Equal([1, 2, 7, 4], top);

        var all = new int[10];
        Assert.Equal(5, TopK.SelectInto(scores, all));
        Assert.Equal([1, 2, 7, 4, 0], all[..5]);

        double[] wide = [double.NaN, double.NegativeInfinity, double.PositiveInfinity, -0.0, 0.0];
        Assert.Equal(new[] { 2, 3, 4 }, TopK.Select(wide, 5));
        Assert.Empty(TopK.Select(new[] { float.NaN, float.NegativeInfinity }, 2));
    }

    [Fact]
    public void MatchesAFullSortOnOrdinaryScores()
    {
        var rng = new SeededRandom(2);
        for (int trial = 0; trial < 50; trial++)
        {
            var scores = Enumerable.Range(0, 300).Select(_ => (float)Math.Round(rng.NextGaussian(), 1)).ToArray();
            var expected = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(10).ToArray();
            var top = new int[10];
            Assert.Equal(10, TopK.SelectInto(scores, top));
            Assert.Equal(expected, top);
        }
    }

    [Fact]
    public void SelectIntoWritesBestFirst()
    {
        var scores = new float[] { 0.1f, 0.9f, 0.5f };
        Span<int> dest = stackalloc int[5];
        int n = TopK.SelectInto(scores, [2], dest);
        Assert.Equal(2, n);
        Assert.Equal(new[] { 1, 0 }, dest[..n].ToArray());
    }

    [Fact]
    public void LargeKUsesThePooledBuffer()
    {
        var r = new SeededRandom(9);
        var scores = Enumerable.Range(0, 5000).Select(_ => (float)r.NextDouble()).ToArray();
        Assert.Equal(Reference(scores, 1000, []), TopK.Select(scores, 1000));
    }
}

public sealed class MetricsTests
{
    [Fact]
    public void HitRatioAndNdcgForAHeldOutItem()
    {
        int[] ranking = [7, 3, 9, 1];
        Assert.Equal(1.0, Metrics.HitRatio(ranking, 9, 3));
        Assert.Equal(0.0, Metrics.HitRatio(ranking, 1, 3));
        Assert.Equal(0.0, Metrics.HitRatio(ranking, 42, 10));
        Assert.Equal(1.0, Metrics.Ndcg(ranking, 7, 3));
        Assert.Equal(0.5, Metrics.Ndcg(ranking, 9, 3), 12);
        Assert.Equal(1 / Math.Log2(3), Metrics.Ndcg(ranking, 3, 3), 12);
        Assert.Equal(0.0, Metrics.Ndcg(ranking, 1, 3));
        Assert.Equal(2, Metrics.RankOf(ranking, 9));
    }

    [Fact]
    public void RecallAndSetNdcg()
    {
        int[] ranking = [1, 2, 3, 4, 5];
        Assert.Equal(2 / 3.0, Metrics.Recall(ranking, [2, 5, 8], 5), 12);
        Assert.Equal(1 / 3.0, Metrics.Recall(ranking, [2, 5, 8, 8], 3), 12);
        Assert.True(double.IsNaN(Metrics.Recall(ranking, [], 5)));
        Assert.Equal(1.0, Metrics.Ndcg(ranking, [1, 2], 5), 12);
        Assert.Equal((1 / Math.Log2(3)) / (1 + 1 / Math.Log2(3)), Metrics.Ndcg(ranking, [2, 9], 5), 12);
    }

    [Fact]
    public void DisplayRateAndItemHitRatio()
    {
        var lists = new List<int[]> { new[] { 1, 2 }, new[] { 3, 4 }, new[] { 5, 1 }, new[] { 6, 7 } };
        int[] everyone = [0, 1, 2, 3];
        Assert.Equal(0.5, Metrics.DisplayRate(lists, everyone, [1]));
        Assert.Equal(0.75, Metrics.DisplayRate(lists, everyone, [1, 4, 99]));
        Assert.Equal(0.0, Metrics.DisplayRate(lists, everyone, [99]));
        Assert.Equal(0.5, Metrics.DisplayRate(lists, [0, 3], [1]));

        Assert.Equal(0.5, Metrics.ItemHitRatio(lists, 1));
        var histories = new List<int[]> { new[] { 1 }, Array.Empty<int>(), new[] { 9 }, new[] { 8 } };
        // User 0 already has item 1: of the other three, one (user 2) is shown it.
        Assert.Equal(1 / 3.0, Metrics.ItemHitRatio(lists, 1, histories), 12);
        Assert.Equal((1 / 3.0 + 1 / 4.0) / 2, Metrics.MeanItemHitRatio(lists, [1, 3], histories), 12);
        Assert.True(double.IsNaN(Metrics.ItemHitRatio([new[] { 1 }], 1, [new[] { 1 }])));
    }

    [Fact]
    public void Duplicate_targets_count_once()
    {
        var lists = new List<int[]> { new[] { 1, 2 }, new[] { 3, 4 }, new[] { 5, 1 } };
        // Users 0 and 2 see item 1; user 1 does not. Listing user 1 twice must not weigh it twice.
        Assert.Equal(Metrics.DisplayRate(lists, [0, 1], [1]), Metrics.DisplayRate(lists, [0, 1, 1, 0], [1, 1]));
        Assert.Equal(0.5, Metrics.DisplayRate(lists, [1, 0, 1], [1]));

        var histories = new List<int[]> { Array.Empty<int>(), Array.Empty<int>(), Array.Empty<int>() };
        var set = Metrics.ItemHitRatios(lists, [3, 1, 3], histories);
        Assert.Equal([3, 1], set.Items.Select(i => i.Item));
        Assert.Equal((1 / 3.0 + 2 / 3.0) / 2, set.Mean, 12);
        Assert.Equal(set.Mean, Metrics.MeanItemHitRatio(lists, [3, 1], histories));
    }

    [Fact]
    public void An_item_every_user_has_seen_is_left_out_of_the_mean_and_reported()
    {
        var lists = new List<int[]> { new[] { 1, 2 }, new[] { 3, 4 }, new[] { 5, 6 } };
        var histories = new List<int[]> { new[] { 9 }, new[] { 9, 7 }, new[] { 8, 9 } };
        var set = Metrics.ItemHitRatios(lists, [9, 1], histories);
        Assert.Equal([9], set.Excluded);
        var counted = Assert.Single(set.Items);
        Assert.Equal(new ItemHits(1, 3, 1), counted);
        Assert.Equal(1 / 3.0, set.Mean, 12);

        var none = Metrics.ItemHitRatios(lists, [9], histories);
        Assert.True(double.IsNaN(none.Mean));
        Assert.Empty(none.Items);
        Assert.Equal([9], none.Excluded);
    }

    [Fact]
    public void Empty_target_sets_are_errors()
    {
        var lists = new List<int[]> { new[] { 1, 2 } };
        Assert.Contains("target user set is empty", Assert.Throws<ArgumentException>(() => Metrics.DisplayRate(lists, [], [1])).Message);
        Assert.Contains("target item set is empty", Assert.Throws<ArgumentException>(() => Metrics.DisplayRate(lists, [0], [])).Message);
        Assert.Contains("target item set is empty", Assert.Throws<ArgumentException>(() => Metrics.ItemHitRatios(lists, [])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.DisplayRate(lists, [1], [1]));
    }

    [Fact]
    public void AvailabilityAndOverlap()
    {
        var before = new List<int[]> { new[] { 1, 2, 3, 4 }, new[] { 5, 6 } };
        var after = new List<int[]> { new[] { 4, 9, 1, 8 }, new[] { 7, 8 } };
        Assert.Equal((0.5 + 0) / 2, Metrics.Availability(before, after), 12);
        Assert.Equal(1.0, Metrics.Availability(before, before));
        Assert.Equal(0.5, Metrics.OverlapAtK([1, 2, 3, 4], [4, 9, 1, 8]));
        Assert.Equal(1.0, Metrics.OverlapAtK([], []));
        Assert.Equal(0.0, Metrics.OverlapAtK([1], [2]));
    }

    [Fact]
    public void KendallTauKnownValues()
    {
        int[] a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.Equal(0.0, Metrics.KendallTauTopK(a, a));
        Assert.Equal(1.0, Metrics.KendallTauTopK(a, a.Reverse().ToArray()), 12);
        Assert.Equal(1.0, Metrics.KendallTauTopK(a, a.Select(x => x + 100).ToArray()), 12);
        Assert.Equal(0.0, Metrics.KendallTauTopK([], []));

        // One adjacent swap among three items: 1 of 3 pairs discordant.
        Assert.Equal(1 / 3.0, Metrics.KendallTauTopK([1, 2, 3], [2, 1, 3]), 12);
        // Worked example: pairs (2,3) and (2,4) are penalised, the other four are not.
        Assert.Equal(2 / 6.0, Metrics.KendallTauTopK([1, 2, 3], [1, 3, 4]), 12);
        Assert.Equal(2.0, Metrics.KendallTauTopKPenalty([1, 2, 3], [1, 3, 4]));
        // Fagin's K^(1/2) for disjoint top-3 lists: 9 cross pairs + 6 same-list pairs × 1/2.
        Assert.Equal(12.0, Metrics.KendallTauTopKPenalty([1, 2, 3], [4, 5, 6]));
        // Symmetric and in [0, 1].
        var r = new SeededRandom(4);
        for (int t = 0; t < 100; t++)
        {
            var x = r.SampleWithoutReplacement(30, 10); r.Shuffle(x);
            var y = r.SampleWithoutReplacement(30, 10); r.Shuffle(y);
            double d = Metrics.KendallTauTopK(x, y);
            Assert.InRange(d, 0.0, 1.0);
            Assert.Equal(d, Metrics.KendallTauTopK(y, x), 12);
        }
        Assert.Throws<ArgumentException>(() => Metrics.KendallTauTopK([1, 1], [1, 2]));
    }

    [Fact]
    public void MeanStdUsesTheSampleDeviation()
    {
        var (mean, std) = Metrics.MeanStd([2, 4, 4, 4, 5, 5, 7, 9]);
        Assert.Equal(5.0, mean, 12);
        Assert.Equal(Math.Sqrt(32 / 7.0), std, 12);
        Assert.Equal((3.0, 0.0), Metrics.MeanStd([3.0]));
        var (m0, s0) = Metrics.MeanStd([]);
        Assert.True(double.IsNaN(m0) && double.IsNaN(s0));
    }
}

public sealed class SyncProgressTests
{
    [Fact]
    public async Task ReportsOnTheReportingThreadInOrderBeforeReturning()
    {
        var seen = new List<(int Value, int Thread)>();
        var progress = new SyncProgress<int>(v => seen.Add((v, Environment.CurrentManagedThreadId)));
        int thread = await Task.Run(() =>
        {
            for (int i = 0; i < 100; i++) ((IProgress<int>)progress).Report(i);
            return Environment.CurrentManagedThreadId;
        });
        Assert.Equal(Enumerable.Range(0, 100), seen.Select(s => s.Value));
        Assert.All(seen, s => Assert.Equal(thread, s.Thread));
        Assert.Throws<ArgumentNullException>(() => new SyncProgress<int>(null!));
    }
}
