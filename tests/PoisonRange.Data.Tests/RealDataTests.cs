
namespace PoisonRange.Data.Tests;

/// <summary>
/// Every dataset in ../shared/data loads with the counts its README states. These tests need
/// the data and fail (never skip) without it.
/// </summary>
public sealed class RealDataTests
{
    private static readonly string Dir = Helpers.DataDir();

    [Fact]
    public void Ml100k()
    {
        var d = DatasetCatalog.Load("ml-100k", Dir);
        Assert.Equal("ml-100k", d.Name);
        Assert.Equal(943, d.UserCount);
        Assert.Equal(1682, d.ItemCount);
        Assert.Equal(100_000, d.InteractionCount);
        Assert.True(d.HasRatings && d.HasTimestamps);
        Assert.All(d.Sequences, s => Assert.True(s.Length >= 20));

        var histogram = d.Ratings!.SelectMany(r => r).GroupBy(r => r).OrderBy(g => g.Key).Select(g => g.Count()).ToArray();
        Assert.Equal(new[] { 6_110, 11_370, 27_145, 34_174, 21_201 }, histogram);
        Assert.Equal(874_724_710_000L, d.Timestamps!.SelectMany(t => t).Min());
        Assert.Equal(893_286_638_000L, d.Timestamps!.SelectMany(t => t).Max());
        AssertChronological(d);
        // Ids 1..943 and 1..1682 are contiguous and naturally ordered.
        Assert.Equal("1", d.UserIds[0]);
        Assert.Equal("943", d.UserIds[^1]);
        Assert.Equal("1682", d.ItemIds[^1]);
    }

    [Fact]
    public void Ml1m_LoadsWithTheStatedCount()
    {
        var path = DatasetCatalog.Resolve("ml-1m", Dir).Path;
        Assert.True(DataFileIsGzip(path));
        var d = DatasetCatalog.Load("ml-1m", Dir);
        Assert.Equal(6_040, d.UserCount);
        Assert.Equal(3_706, d.ItemCount);
        Assert.Equal(1_000_209, d.InteractionCount);
        Assert.False(d.HasRatings);
        Assert.False(d.HasTimestamps);
        // README: rows are in ratings.dat order (1::1193, 1::661, 1::914, ...) and there are no duplicate pairs.
        Assert.Equal(new[] { "1193", "661", "914" }, Helpers.ExtSeq(d, "1").Take(3));
        long distinct = d.Sequences.Sum(s => (long)s.Distinct().Count());
        Assert.Equal(d.InteractionCount, distinct);
    }

    [Fact]
    public void Lastfm_PlayCountIsTheRating()
    {
        var d = DatasetCatalog.Load("lastfm", Dir);
        Assert.Equal(1_892, d.UserCount);
        Assert.Equal(17_632, d.ItemCount);
        Assert.Equal(92_834, d.InteractionCount);
        Assert.True(d.HasRatings);
        Assert.False(d.HasTimestamps);
        var weights = d.Ratings!.SelectMany(r => r).ToArray();
        Assert.Equal(1f, weights.Min());
        Assert.Equal(352_698f, weights.Max());
    }

    [Fact]
    public void Gowalla_TestSplit()
    {
        var d = DatasetCatalog.Load("gowalla", Dir);
        Assert.Equal(13_149, d.UserCount);
        Assert.Equal(13_502, d.ItemCount);
        Assert.Equal(102_254, d.InteractionCount);
        Assert.Equal(2, d.Sequences.Min(s => s.Length));
        Assert.Equal(152, d.Sequences.Max(s => s.Length));
        Assert.Equal("0", d.UserIds[0]);
        Assert.Equal("13148", d.UserIds[^1]);
    }

    [Fact]
    public void Yelp_WithTimestamps()
    {
        var reference = DatasetCatalog.Resolve("yelp", Dir);
        Assert.Equal(DatasetFormat.Sequence, reference.Format);
        Assert.NotNull(reference.TimestampFile);
        var d = reference.Load();
        AssertYelpShape(d);
        Assert.True(d.HasTimestamps);
        Assert.Equal(1_546_300_809_000L, d.Timestamps!.SelectMany(t => t).Min());
        Assert.Equal(1_576_252_117_000L, d.Timestamps!.SelectMany(t => t).Max());
        AssertChronological(d);
        long distinctPairs = d.Sequences.Sum(s => (long)s.Distinct().Count());
        Assert.Equal(304_524, distinctPairs);
        // The timestamp file is already chronological, so sorting must not move anything:
        // the first user's line starts "1 1 18308 13376 18638 13376".
        Assert.Equal(new[] { "1", "18308", "13376", "18638", "13376" }, Helpers.ExtSeq(d, "1").Take(5));
    }

    [Fact]
    public void Yelp_S3RecSequenceFile()
    {
        var d = DatasetCatalog.Load("yelp/Yelp.txt", Dir);
        Assert.Equal(DatasetFormat.Sequence, DatasetLoader.DetectFormat(Path.Combine(Dir, "yelp", "Yelp.txt")));
        AssertYelpShape(d);
        Assert.False(d.HasTimestamps);

        // Same sequence-length distribution as the TiCoSeRec file.
        var timed = DatasetCatalog.Load("yelp", Dir);
        Assert.Equal(timed.Sequences.Select(s => s.Length).Order(), d.Sequences.Select(s => s.Length).Order());
    }

    private static void AssertYelpShape(InteractionDataset d)
    {
        Assert.Equal(30_431, d.UserCount);
        Assert.Equal(20_033, d.ItemCount);
        Assert.Equal(316_354, d.InteractionCount);
        Assert.Equal(5, d.Sequences.Min(s => s.Length));
        Assert.Equal(350, d.Sequences.Max(s => s.Length));
        Assert.Equal(10.40, d.InteractionCount / (double)d.UserCount, 2);
    }

    private static void AssertChronological(InteractionDataset d)
    {
        foreach (var t in d.Timestamps!)
            for (int i = 1; i < t.Length; i++)
                Assert.True(t[i - 1] <= t[i]);
    }

    private static bool DataFileIsGzip(string path)
    {
        using var f = File.OpenRead(path);
        return f.ReadByte() == 0x1f && f.ReadByte() == 0x8b;
    }
}
