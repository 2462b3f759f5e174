using static PoisonRange.Data.Tests.Helpers;

namespace PoisonRange.Data.Tests;

public sealed class LoaderTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private const string UData =
        "196\t242\t3\t881250949\n" +
        "186\t302\t3\t891717742\n" +
        "196\t377\t1\t878887116\n" +
        "22\t51\t2\t880606923\n" +
        "196\t51\t5\t881250949\n";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MovieLensUData_LoadsSortedWithMillisecondTimestamps(bool gzip)
    {
        var path = _tmp.Write("u.data", UData, gzip);
        var d = DatasetLoader.Load(path);

        Assert.Equal(3, d.UserCount);
        Assert.Equal(4, d.ItemCount);
        Assert.Equal(5, d.InteractionCount);
        Assert.True(d.HasRatings);
        Assert.True(d.HasTimestamps);
        Assert.Equal("u.data", d.Name);
        // Natural id order: "22" < "186" < "196".
        Assert.Equal(new[] { "22", "186", "196" }, d.UserIds);
        Assert.Equal(new[] { "51", "242", "302", "377" }, d.ItemIds);
        // User 196: 377 (878887116) first, then 242 and 51 tied at 881250949 keep file order.
        Assert.Equal(new[] { "377", "242", "51" }, ExtSeq(d, "196"));
        d.TryGetUser("196", out int u);
        Assert.Equal(new[] { 878887116000L, 881250949000L, 881250949000L }, d.Timestamps![u]);
        Assert.Equal(new[] { 1f, 3f, 5f }, d.Ratings![u]);
    }

    [Fact]
    public void MovieLensRatingsDat_DoubleColonSeparated()
    {
        var path = _tmp.Write("ratings.dat", "1::1193::5::978300760\r\n1::661::3::978302109\r\n2::1193::4::978298413\r\n");
        Assert.Equal(DatasetFormat.MovieLens, DatasetLoader.DetectFormat(path));
        var d = DatasetLoader.Load(path);
        Assert.Equal(2, d.UserCount);
        Assert.Equal(new[] { "1193", "661" }, ExtSeq(d, "1"));
        Assert.Equal(978300760000L, d.Timestamps![0][0]);
        Assert.Equal(4f, d.Ratings![1][0]);
    }

    [Fact]
    public void GzipIsDetectedByContentNotExtension()
    {
        var gz = _tmp.Write("data.tsv", "1\t10\n1\t11\n2\t10\n", gzip: true);
        var plainGzName = _tmp.Write("plain.gz", "1\t10\n1\t11\n2\t10\n");
        var a = DatasetLoader.Load(gz);
        var b = DatasetLoader.Load(plainGzName);
        Assert.Equal(3, a.InteractionCount);
        Assert.Equal(ExternalSequences(a), ExternalSequences(b));
        Assert.Equal("plain", b.Name);
    }

    [Fact]
    public void Delimited_WithCsvHeader_LikeGowalla()
    {
        var path = _tmp.Write("test.csv", "uid,sid\n0,2828\n0,7524\n1,5\n");
        Assert.Equal(DatasetFormat.Delimited, DatasetLoader.DetectFormat(path));
        var d = DatasetLoader.Load(path);
        Assert.Equal(2, d.UserCount);
        Assert.Equal(3, d.ItemCount);
        Assert.False(d.HasRatings);
        Assert.False(d.HasTimestamps);
        Assert.Equal(new[] { "2828", "7524" }, ExtSeq(d, "0"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Delimited_CrlfTabWithHeader_LikeLastfm_WeightBecomesRating(bool gzip)
    {
        var path = _tmp.Write("user_artists.dat", "userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\t11690\r\n3\t51\t1\r\n", gzip);
        var d = DatasetLoader.Load(path);
        Assert.Equal(3, d.InteractionCount);
        Assert.True(d.HasRatings);
        Assert.False(d.HasTimestamps);
        Assert.Equal(new[] { 13883f, 11690f }, d.Ratings![0]);
        Assert.Equal(new[] { "51", "52" }, d.ItemIds);
    }

    [Fact]
    public void Delimited_NoHeader_TwoColumns_LikeMl1mTsv()
    {
        var path = _tmp.Write("ratings_user_movie.tsv.gz", "1\t1193\n1\t661\n2\t1193\n10\t3\n", gzip: true);
        var d = DatasetLoader.Load(path);
        Assert.Equal("ratings_user_movie.tsv", d.Name);
        Assert.Equal(new[] { "1", "2", "10" }, d.UserIds);
        Assert.Equal(new[] { "1193", "661" }, ExtSeq(d, "1"));
    }

    [Fact]
    public void Delimited_WhitespaceWithoutHeader_FourColumns()
    {
        var path = _tmp.Write("data.txt", "a  x 4.5 1700000000500\nb y 2 1700000000000\na\ty  1 1600000000000\n");
        var d = DatasetLoader.Load(path);
        Assert.Equal(DatasetFormat.Delimited, DatasetLoader.DetectFormat(path));
        // Milliseconds are detected (values above 10^11) and kept.
        Assert.Equal(new[] { "y", "x" }, ExtSeq(d, "a"));
        d.TryGetUser("a", out int a);
        Assert.Equal(new[] { 1600000000000L, 1700000000500L }, d.Timestamps![a]);
        Assert.Equal(new[] { 1f, 4.5f }, d.Ratings![a]);
    }

    [Fact]
    public void Delimited_HeaderDetectedByNumericContrast_AndNotForStringIds()
    {
        var withHeader = _tmp.Write("h.csv", "foo,bar\n1,2\n3,4\n");
        Assert.Equal(2, DatasetLoader.Load(withHeader).InteractionCount);

        var stringIds = _tmp.Write("s.csv", "user_1,item_9\nuser_2,item_9\n");
        var d = DatasetLoader.Load(stringIds);
        Assert.Equal(2, d.InteractionCount);
        Assert.Contains("user_1", d.UserIds);
    }

    [Fact]
    public void Delimited_HeaderNamesLocateColumnsInAnyOrder()
    {
        var path = _tmp.Write("r.csv", "timestamp,rating,movieId,userId\n20,4,m1,u1\n10,2,m2,u1\n");
        var d = DatasetLoader.Load(path);
        Assert.Equal(new[] { "m2", "m1" }, ExtSeq(d, "u1"));
        Assert.Equal(new[] { 2f, 4f }, d.Ratings![0]);
        Assert.Equal(new[] { 10_000L, 20_000L }, d.Timestamps![0]);
    }

    [Fact]
    public void Options_OverrideHeaderDelimiterUnitAndDrops()
    {
        var path = _tmp.Write("x.txt", "1|5|3|100\n1|6|4|50\n1|5|2|200\n");
        var d = DatasetLoader.Load(path, DatasetFormat.Delimited, new LoadOptions { Delimiter = "|", HasHeader = false, TimestampUnit = TimestampUnit.Milliseconds, Name = "custom" });
        Assert.Equal("custom", d.Name);
        Assert.Equal(new[] { "6", "5", "5" }, ExtSeq(d, "1"));
        Assert.Equal(new[] { 50L, 100L, 200L }, d.Timestamps![0]);

        var dedup = DatasetLoader.Load(path, DatasetFormat.Delimited, new LoadOptions { Delimiter = "|", RemoveDuplicates = true, IgnoreRatings = true });
        Assert.Equal(new[] { "6", "5" }, ExtSeq(dedup, "1"));
        Assert.False(dedup.HasRatings);
        Assert.Equal(new[] { 50_000L, 100_000L }, dedup.Timestamps![0]);

        var noTime = DatasetLoader.Load(path, DatasetFormat.Delimited, new LoadOptions { Delimiter = "|", IgnoreTimestamps = true });
        Assert.False(noTime.HasTimestamps);
        Assert.Equal(new[] { "5", "6", "5" }, ExtSeq(noTime, "1"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RecBoleInter_ColumnsByName(bool gzip)
    {
        var path = _tmp.Write("ml.inter",
            "item_id:token\ttimestamp:float\tuser_id:token\trating:float\n" +
            "242\t881250949.0\t196\t3\n" +
            "302\t891717742\t186\t3.5\n" +
            "377\t878887116.0\t196\t1\n", gzip);
        Assert.Equal(DatasetFormat.RecBole, DatasetLoader.DetectFormat(path));
        var d = DatasetLoader.Load(path);
        Assert.Equal(new[] { "377", "242" }, ExtSeq(d, "196"));
        d.TryGetUser("186", out int u);
        Assert.Equal(3.5f, d.Ratings![u][0]);
        Assert.Equal(891717742000L, d.Timestamps![u][0]);
    }

    [Fact]
    public void RecBole_DetectedByTypedHeaderWithoutExtension()
    {
        var path = _tmp.Write("interactions.tsv", "user_id:token\titem_id:token\n1\t2\n");
        Assert.Equal(DatasetFormat.RecBole, DatasetLoader.DetectFormat(path));
        Assert.Equal(1, DatasetLoader.Load(path).InteractionCount);
    }

    [Fact]
    public void RecBole_WithoutUserColumn_Throws()
    {
        var path = _tmp.Write("bad.inter", "session:token\titem_id:token\n1\t2\n");
        var ex = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(path));
        Assert.StartsWith("bad.inter line 1:", ex.Message);
        Assert.Contains("user", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SequenceFile_KeepsOrderAndRepeats(bool gzip)
    {
        var path = _tmp.Write("Yelp.txt", "1 1 2 3 2\n2 4 5\n10 5 1 4 3 2 6\n", gzip);
        Assert.Equal(DatasetFormat.Sequence, DatasetLoader.DetectFormat(path));
        var d = DatasetLoader.Load(path);
        Assert.Equal(3, d.UserCount);
        Assert.Equal(6, d.ItemCount);
        Assert.Equal(12, d.InteractionCount);
        Assert.Equal(new[] { "1", "2", "3", "2" }, ExtSeq(d, "1"));
        Assert.Equal(new[] { "5", "1", "4", "3", "2", "6" }, ExtSeq(d, "10"));
        Assert.False(d.HasTimestamps);
    }

    [Fact]
    public void SequenceFile_WithTimestampFile_SortsStablyAndConvertsSeconds()
    {
        var items = _tmp.Write("items.txt", "1 7 8 9\r\n2 8 9\r\n");
        var times = _tmp.Write("times.txt", "1 300 100 300\r\n2 1546300809 1546300810\r\n", gzip: true);
        var d = DatasetLoader.Load(items, options: new LoadOptions { TimestampFile = times });
        Assert.Equal(new[] { "8", "7", "9" }, ExtSeq(d, "1"));
        Assert.Equal(new[] { 100_000L, 300_000L, 300_000L }, d.Timestamps![0]);
        Assert.Equal(1546300809000L, d.Timestamps![1][0]);
    }

    [Fact]
    public void SequenceFile_TimestampMismatches_NameTheTimestampFileAndLine()
    {
        var items = _tmp.Write("items.txt", "1 7 8\n2 8 9\n3 1\n");
        var wrongUser = _tmp.Write("t1.txt", "1 1 2\n5 1 2\n3 1\n");
        var wrongCount = _tmp.Write("t2.txt", "1 1 2\n2 1\n3 1\n");
        var tooShort = _tmp.Write("t3.txt", "1 1 2\n2 1 2\n");
        var tooLong = _tmp.Write("t4.txt", "1 1 2\n2 1 2\n3 1\n4 1\n");
        var notNumber = _tmp.Write("t5.txt", "1 1 2\n2 1 x\n3 1\n");

        Assert.StartsWith("t1.txt line 2:", Load(wrongUser).Message);
        Assert.StartsWith("t2.txt line 2:", Load(wrongCount).Message);
        Assert.StartsWith("t3.txt line 3:", Load(tooShort).Message);
        Assert.StartsWith("t4.txt line 4:", Load(tooLong).Message);
        Assert.StartsWith("t5.txt line 2: timestamp 'x'", Load(notNumber).Message);

        DatasetFormatException Load(string t) => Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(items, options: new LoadOptions { TimestampFile = t }));
    }

    [Fact]
    public void TooFewFields_NamesFileAndLine()
    {
        var path = _tmp.Write("u.data", "1\t2\t3\t4\n1\t3\t3\t5\n7\n");
        var ex = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(path));
        Assert.Equal("u.data line 3: expected at least 4 fields, found 1", ex.Message);
        Assert.Equal(3, ex.LineNumber);
        Assert.Equal(path, ex.FilePath);

        var two = _tmp.Write("pairs.tsv", "1\t2\n\n1\t3\n4\n");
        Assert.Equal("pairs.tsv line 4: expected at least 2 fields, found 1", Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(two)).Message);

        var seq = _tmp.Write("seq.txt", "1 2 3 4 5 6\n2\n");
        Assert.StartsWith("seq.txt line 2: expected at least 2 fields", Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(seq, DatasetFormat.Sequence)).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BadNumbers_NameFileAndLine(bool gzip)
    {
        var rating = _tmp.Write("r.tsv", "1\t2\t3\t100\n1\t3\tabc\t100\n", gzip);
        Assert.Equal("r.tsv line 2: rating 'abc' (field 3) is not a number", Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(rating)).Message);
        var time = _tmp.Write("t.tsv", "1\t2\t3\t100\n\n1\t3\t3\tyesterday\n", gzip);
        Assert.StartsWith("t.tsv line 3: timestamp 'yesterday'", Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(time)).Message);
        var emptyId = _tmp.Write("e.csv", "1,2\n,3\n", gzip);
        Assert.StartsWith("e.csv line 2: empty user id", Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(emptyId)).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EmptyAndHeaderOnlyFiles_Throw(bool gzip)
    {
        var empty = _tmp.Write("empty.tsv", "", gzip);
        var blank = _tmp.Write("blank.tsv", "\n\r\n  \n", gzip);
        var header = _tmp.Write("header.csv", "uid,sid\n", gzip);
        var emptySeq = _tmp.Write("empty.txt", "", gzip);
        Assert.StartsWith("empty.tsv line 1:", Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(empty)).Message);
        Assert.Contains("empty", Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(blank, DatasetFormat.Delimited)).Message);
        Assert.StartsWith("header.csv line 2: no interactions after the header", Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(header)).Message);
        Assert.StartsWith("empty.txt line 1:", Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(emptySeq, DatasetFormat.Sequence)).Message);
    }

    [Fact]
    public void MissingFiles_ThrowFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => DatasetLoader.Load(_tmp.File_("nope.tsv")));
        var items = _tmp.Write("items.txt", "1 2 3\n");
        Assert.Throws<FileNotFoundException>(() => DatasetLoader.Load(items, options: new LoadOptions { TimestampFile = _tmp.File_("nope.txt") }));
    }

    [Fact]
    public void Utf8BomIsIgnored()
    {
        var path = _tmp.Write("bom.csv", "\uFEFFuser,item\n1,2\n");
        var d = DatasetLoader.Load(path);
        Assert.Equal(new[] { "1" }, d.UserIds);
    }

    [Fact]
    public void LongLinesBeyondTheReadBuffer_AreRead()
    {
        var items = Enumerable.Range(0, 30_000).Select(i => i.ToString()).ToArray();
        var path = _tmp.Write("long.txt", "1 " + string.Join(' ', items) + "\n2 5 6\n");
        var d = DatasetLoader.Load(path);
        Assert.Equal(30_002, d.InteractionCount);
        Assert.Equal(items, ExtSeq(d, "1"));
    }
}
