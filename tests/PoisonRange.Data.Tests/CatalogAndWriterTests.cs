namespace PoisonRange.Data.Tests;

public sealed class CatalogTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void KnownNamesMapToTheirFiles()
    {
        var dir = Helpers.DataDir();
        Assert.Equal(new[] { "ml-100k", "ml-1m", "lastfm", "yelp", "gowalla" }, DatasetCatalog.KnownNames);
        Assert.EndsWith(Path.Combine("movielens-100k", "u.data"), DatasetCatalog.Resolve("ml-100k", dir).Path);
        Assert.EndsWith(Path.Combine("movielens-1m", "ratings_user_movie.tsv.gz"), DatasetCatalog.Resolve("ML-1M", dir).Path);
        Assert.EndsWith(Path.Combine("lastfm-hetrec2011", "user_artists.dat"), DatasetCatalog.Resolve("lastfm", dir).Path);
        Assert.EndsWith(Path.Combine("gowalla-revisit-adv-rec", "test.csv"), DatasetCatalog.Resolve("gowalla", dir).Path);
        var yelp = DatasetCatalog.Resolve("yelp", dir);
        Assert.EndsWith(Path.Combine("yelp", "Yelp_item_org_rank.txt"), yelp.Path);
        Assert.EndsWith(Path.Combine("yelp", "Yelp_time_org_rank.txt"), yelp.TimestampFile);
        Assert.Equal("ml-1m", DatasetCatalog.Resolve("ML-1M", dir).Name);
    }

    [Fact]
    public void DefaultDataDirectoryIsFoundFromTheRepository()
    {
        var found = DatasetCatalog.DefaultDataDirectory();
        Assert.NotNull(found);
        Assert.Equal(Path.GetFullPath(Helpers.DataDir()), Path.GetFullPath(found));
    }

    [Fact]
    public void UnknownNameListsKnownNamesAndDirectory()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => DatasetCatalog.Resolve("netflix", _tmp.Path));
        foreach (var name in DatasetCatalog.KnownNames) Assert.Contains(name, ex.Message);
        Assert.Contains(_tmp.Path, ex.Message);
        Assert.Contains("netflix", ex.Message);
    }

    [Fact]
    public void KnownNameMissingFromDirectoryNamesTheExpectedPath()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => DatasetCatalog.Resolve("ml-100k", _tmp.Path));
        Assert.Contains(Path.Combine("movielens-100k", "u.data"), ex.Message);
    }

    [Fact]
    public void PathsResolveDirectlyOrUnderTheDataDirectory()
    {
        var file = _tmp.Write("my.csv", "user,item\n1,2\n");
        var direct = DatasetCatalog.Resolve(file, null);
        Assert.Equal(file, direct.Path);
        Assert.Equal("my.csv", direct.Name);
        var relative = DatasetCatalog.Resolve("my.csv", _tmp.Path);
        Assert.Equal(file, relative.Path);
        Assert.Equal(1, DatasetCatalog.Load("my.csv", _tmp.Path).InteractionCount);
    }

    [Fact]
    public void ItemFileWithSiblingTimeFileGetsIt()
    {
        var items = _tmp.Write("X_item_org_rank.txt", "1 5 6\n");
        _tmp.Write("X_time_org_rank.txt", "1 20 10\n");
        var r = DatasetCatalog.Resolve(items, null);
        Assert.Equal(DatasetFormat.Sequence, r.Format);
        var d = r.Load();
        Assert.Equal(new[] { "6", "5" }, Helpers.ExtSeq(d, "1"));
    }
}

public sealed class WriterTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData(true, true, "out.tsv")]
    [InlineData(false, true, "out.tsv")]
    [InlineData(true, false, "out.tsv.gz")]
    [InlineData(false, false, "out.tsv")]
    public void RoundTripsThroughTheLoader(bool timestamps, bool ratings, string fileName)
    {
        var d = SyntheticGenerator.Generate(new SyntheticOptions { Users = 60, Items = 40, MeanLength = 10, MinLength = 3, Successors = 4, WithTimestamps = timestamps, WithRatings = ratings, Seed = 3 });
        var path = _tmp.File_(fileName);
        DatasetWriter.WriteDelimited(d, path);
        var back = DatasetLoader.Load(path, options: new LoadOptions { Name = d.Name });

        Assert.Equal(d.UserIds, back.UserIds);
        Assert.Equal(d.ItemIds.Where((_, i) => d.ItemPopularity()[i] > 0), back.ItemIds);
        Assert.Equal(Helpers.ExternalSequences(d), Helpers.ExternalSequences(back));
        Assert.Equal(timestamps, back.HasTimestamps);
        Assert.Equal(ratings, back.HasRatings);
        for (int u = 0; u < d.UserCount; u++)
        {
            if (timestamps) Assert.Equal(d.Timestamps![u], back.Timestamps![u]);
            if (ratings) Assert.Equal(d.Ratings![u], back.Ratings![u]);
        }
        Assert.Empty(Directory.GetFiles(_tmp.Path, "*.tmp"));
    }

    [Fact]
    public void SmallMillisecondTimestampsAndFractionalRatingsSurvive()
    {
        var d = new InteractionDataset("x", ["a", "b"], ["p", "q"], [[0, 1], [1]], [[5, 7], [3]], [[0.1f, 2.5f], [1e-3f]]);
        var path = _tmp.File_("x.tsv");
        DatasetWriter.WriteDelimited(d, path);
        var back = DatasetLoader.Load(path);
        Assert.Equal(d.Timestamps, back.Timestamps);
        Assert.Equal(d.Ratings, back.Ratings);
        Assert.StartsWith("user_id\titem_id\trating\ttimestamp_ms\n", File.ReadAllText(path));
    }

    [Fact]
    public void OverwritesAtomicallyAndRejectsUnwritableIds()
    {
        var path = _tmp.Write("x.tsv", "old content");
        var d = new InteractionDataset("x", ["a"], ["p"], [[0]], null, null);
        DatasetWriter.WriteDelimited(d, path);
        Assert.Equal("user_id\titem_id\na\tp\n", File.ReadAllText(path));

        var bad = new InteractionDataset("x", ["a\tb"], ["p"], [[0]], null, null);
        Assert.Throws<ArgumentException>(() => DatasetWriter.WriteDelimited(bad, path));
        Assert.Equal("user_id\titem_id\na\tp\n", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_tmp.Path));
    }
}
