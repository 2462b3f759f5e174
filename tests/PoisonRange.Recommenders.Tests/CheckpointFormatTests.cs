using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Factorization;

namespace PoisonRange.Recommenders.Tests;

public sealed class CheckpointFormatTests
{
    [Fact]
    public void Int_arrays_round_trip_and_bad_ones_are_corrupt_checkpoints()
    {
        using var stream = new MemoryStream();
        using (var writer = CheckpointFormat.CreateWriter(stream))
        {
            CheckpointFormat.WriteInts(writer, [3, 0, 2]);
            CheckpointFormat.WriteInts(writer, [5, 1]);
        }
        stream.Position = 0;
        using (var reader = CheckpointFormat.CreateReader(stream))
        {
            Assert.Equal([3, 0, 2], CheckpointFormat.ReadInts(reader, 3));
            var error = Assert.Throws<InvalidDataException>(() => CheckpointFormat.ReadInts(reader, 2, 0, 4, "the item ids"));
            Assert.Equal("Corrupt checkpoint: the item ids holds 5, outside 0..3.", error.Message);
        }
        stream.Position = 0;
        using (var reader = CheckpointFormat.CreateReader(stream))
            Assert.Equal("Corrupt checkpoint: the user ids has 3 values where 4 were expected.",
                Assert.Throws<InvalidDataException>(() => CheckpointFormat.ReadInts(reader, 4, "the user ids")).Message);

        using var truncated = new MemoryStream(stream.ToArray()[..10]);
        using (var reader = CheckpointFormat.CreateReader(truncated))
            Assert.Equal("Corrupt checkpoint: the stream ended early.",
                Assert.Throws<InvalidDataException>(() => CheckpointFormat.ReadInts(reader, 3)).Message);
    }

    [Fact]
    public void A_body_that_ends_early_is_a_corrupt_checkpoint()
    {
        using var reader = new BinaryReader(new MemoryStream([1, 2]));
        Assert.Equal(513, CheckpointFormat.ReadBody(() => (int)reader.ReadInt16()));
        var error = Assert.Throws<InvalidDataException>(() => CheckpointFormat.ReadBody(() => reader.ReadInt32()));
        Assert.Equal("Corrupt checkpoint: the stream ended early.", error.Message);
    }

    [Fact]
    public void Saved_options_that_do_not_bind_are_a_corrupt_checkpoint()
    {
        var good = new CheckpointHeader("bprmf", 1, 7, new Dictionary<string, string> { ["factors"] = "12" });
        Assert.Equal(12, CheckpointFormat.SavedOptions("bprmf", new BprMfOptions(), good, []).Factors);
        var bad = new CheckpointHeader("bprmf", 1, 7, new Dictionary<string, string> { ["factors"] = "0" });
        var error = Assert.Throws<InvalidDataException>(() => CheckpointFormat.SavedOptions("bprmf", new BprMfOptions(), bad, []));
        Assert.StartsWith("Corrupt checkpoint: its hyper-parameters do not bind.", error.Message);
    }
}
