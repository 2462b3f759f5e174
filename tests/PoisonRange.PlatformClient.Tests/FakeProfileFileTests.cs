using PoisonRange.Client.Profiles;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Contracts.Platform.V1;
using Xunit;

namespace PoisonRange.Client.Tests;

public sealed class FakeProfileFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "poisonrange-profiles-" + Guid.NewGuid().ToString("N")[..8]);

    public FakeProfileFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static FakeProfile Profile(string id, params (string Item, long Ts, float? Rating)[] xs)
    {
        var p = new FakeProfile { ProfileId = id };
        foreach (var (item, ts, rating) in xs)
        {
            var x = new Interaction { ItemId = item, TimestampMs = ts };
            if (rating is { } r) x.Rating = r;
            p.Interactions.Add(x);
        }
        return p;
    }

    [Fact]
    public void Profiles_round_trip_with_their_header()
    {
        var path = Path.Combine(_dir, "sub", "random.jsonl");
        var profiles = new[] { Profile("p0", ("i1", 100, null), ("i2", 200, 4.5f)), Profile("p1") };
        var meta = new FakeProfileMetadata
        {
            Strategy = "random",
            TargetItems = ["i1"],
            TargetUsers = ["u7"],
            Seed = ulong.MaxValue,
            CreatedUtc = new DateTimeOffset(2030, 5, 6, 7, 8, 9, TimeSpan.Zero),
            ActionsPerUser = 15,
            Parameters = new Dictionary<string, string> { ["repository_fillers"] = "10" },
        };

        FakeProfileFile.Write(path, profiles, meta);
        var doc = FakeProfileFile.Read(path);

        Assert.Equal(1, doc.FormatVersion);
        Assert.Equal("random", doc.Metadata.Strategy);
        Assert.Equal(["i1"], doc.Metadata.TargetItems);
        Assert.Equal(["u7"], doc.Metadata.TargetUsers);
        Assert.Equal(ulong.MaxValue, doc.Metadata.Seed);
        Assert.Equal(meta.CreatedUtc, doc.Metadata.CreatedUtc);
        Assert.Equal(15, doc.Metadata.ActionsPerUser);
        Assert.Equal("10", doc.Metadata.Parameters["repository_fillers"]);
        Assert.Equal(profiles, doc.Profiles);
        Assert.Equal(3, File.ReadAllLines(path).Length);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left
        Assert.Contains("\"profile_id\":\"p0\"", File.ReadAllLines(path)[1]);
    }

    [Theory]
    [InlineData("{\"format\":\"poisonrange.fake-profiles\",\"version\":1}\n{\"profile_id\":\"p\",\"interactions\":[{\"item_id\":\"a\"}]}\n", 2, "timestamp_ms")]
    [InlineData("{\"format\":\"poisonrange.fake-profiles\",\"version\":1}\n\n{\"profile_id\":\"p\",\"interactions\":[]}\nnot json\n", 4, "not a JSON object")]
    [InlineData("{\"profile_id\":\"p\",\"interactions\":[]}\n", 1, "header")]
    [InlineData("{\"format\":\"poisonrange.fake-profiles\",\"version\":9}\n", 1, "version 9")]
    [InlineData("{\"format\":\"poisonrange.fake-profiles\",\"version\":1}\n{\"profile_id\":\"p\",\"interactions\":[]}\n{\"profile_id\":\"p\",\"interactions\":[]}\n", 3, "already used on line 2")]
    [InlineData("{\"format\":\"poisonrange.fake-profiles\",\"version\":1,\"profiles\":2}\n{\"profile_id\":\"p\",\"interactions\":[]}\n", 2, "announces 2 profiles")]
    [InlineData("", 1, "empty")]
    public void A_bad_file_names_the_line(string text, int line, string fragment)
    {
        var path = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllText(path, text);
        var ex = Assert.Throws<FakeProfileFileException>(() => FakeProfileFile.Read(path));
        Assert.Equal(line, ex.LineNumber);
        Assert.Contains(fragment, ex.Message);
        Assert.StartsWith(path + ":" + line + ":", ex.Message);
    }

    [Fact]
    public void Writing_duplicate_ids_is_refused_and_leaves_no_file()
    {
        var path = Path.Combine(_dir, "dup.jsonl");
        Assert.Throws<ArgumentException>(() => FakeProfileFile.Write(path, [Profile("a"), Profile("a")], new FakeProfileMetadata()));
        Assert.Empty(Directory.GetFiles(_dir));
    }
}
