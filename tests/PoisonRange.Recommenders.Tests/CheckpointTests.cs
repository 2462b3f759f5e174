using PoisonRange.Recommenders.Baselines;
using PoisonRange.Recommenders.Factorization;

namespace PoisonRange.Recommenders.Tests;

public sealed class CheckpointTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    [Fact]
    public void Bprmf_round_trips_to_bit_identical_scores()
    {
        using var stream = new MemoryStream();
        models.Bpr.Save(stream);

        stream.Position = 0;
        using var viaFactory = RecommenderFactory.Load(stream);
        stream.Position = 0;
        using var viaInstance = new BprMf();
        viaInstance.Load(stream);

        var expected = BprMfTests.AllScores(models.Bpr);
        Assert.Equal("bprmf", viaFactory.Kind);
        Assert.Equal(expected, BprMfTests.AllScores(viaFactory));
        Assert.Equal(expected, BprMfTests.AllScores(viaInstance));

        var history = CommunityData.NewHistory(0, 10, 2, seed: 1);
        Assert.Equal(FoldIn(models.Bpr, history), FoldIn(viaFactory, history));
        Assert.Equal(FoldIn(models.Bpr, []), FoldIn(viaFactory, []));
        Assert.Equal(models.Bpr.Options.Factors, ((BprMf)viaFactory).Options.Factors);
        Assert.Equal(models.Bpr.Options.Seed, ((BprMf)viaFactory).Options.Seed);
    }

    [Fact]
    public void Poprec_round_trips()
    {
        using var stream = new MemoryStream();
        models.Pop.Save(stream);
        stream.Position = 0;
        using var loaded = RecommenderFactory.Load(stream);
        Assert.IsType<PopRec>(loaded);
        Assert.Equal(BprMfTests.AllScores(models.Pop), BprMfTests.AllScores(loaded));
    }

    [Fact]
    public void Truncated_foreign_and_mismatched_checkpoints_are_rejected()
    {
        using var stream = new MemoryStream();
        models.Bpr.Save(stream);
        var bytes = stream.ToArray();

        Assert.Throws<InvalidDataException>(() => RecommenderFactory.Load(new MemoryStream(bytes[..(bytes.Length / 2)])));
        Assert.Throws<InvalidDataException>(() => RecommenderFactory.Load(new MemoryStream("not a checkpoint"u8.ToArray())));
        using var pop = new PopRec();
        var error = Assert.Throws<InvalidDataException>(() => pop.Load(new MemoryStream(bytes)));
        Assert.Contains("bprmf", error.Message);

        using var unknown = new MemoryStream();
        using (var writer = Checkpoints.CheckpointFormat.CreateWriter(unknown))
            Checkpoints.CheckpointFormat.WriteHeader(writer, new Checkpoints.CheckpointHeader("nosuchmodel", 1, 0, new Dictionary<string, string>()));
        unknown.Position = 0;
        var unknownError = Assert.Throws<InvalidDataException>(() => RecommenderFactory.Load(unknown));
        Assert.Contains("nosuchmodel", unknownError.Message);
        Assert.Contains("poprec", unknownError.Message);
    }

    private static byte[] FoldIn(IRecommender model, int[] history)
    {
        var scores = new float[model.ItemCount];
        model.ScoreHistory(history, scores);
        return BprMfTests.Bits(scores);
    }
}
