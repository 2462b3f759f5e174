using System.Globalization;
using PoisonRange.Recommenders.Checkpoints;

namespace PoisonRange.Recommenders.Factorization;

/// <summary>Checkpoint pieces of the latent-factor models (BPR-MF, FPMC, TransRec): the dimensions and the saved fold-in strength.</summary>
internal static class FactorCheckpoint
{
    /// <summary>Writes int32 users, items, factors.</summary>
    public static void WriteDimensions(BinaryWriter writer, int users, int items, int factors)
    {
        writer.Write(users);
        writer.Write(items);
        writer.Write(factors);
    }

    /// <summary>Reads what <see cref="WriteDimensions"/> wrote; a corrupt checkpoint when a factor table would not fit in an array.</summary>
    public static (int Users, int Items, int Factors) ReadDimensions(BinaryReader reader)
    {
        int users = CheckpointFormat.ReadDimension(reader, "users");
        int items = CheckpointFormat.ReadDimension(reader, "items");
        int factors = CheckpointFormat.ReadDimension(reader, "factors", 4096);
        if ((long)users * factors > int.MaxValue || (long)items * factors > int.MaxValue)
            throw new InvalidDataException($"Corrupt checkpoint: {users} users × {items} items × {factors} factors.");
        return (users, items, factors);
    }

    /// <summary>
    /// The fold-in strength a checkpoint was saved with (its <c>foldInL2</c> hyper-parameter), so
    /// that a restored model scores like the saved one; <paramref name="fallback"/> when absent or not positive.
    /// </summary>
    public static double SavedFoldInL2(CheckpointHeader header, double fallback)
        => header.HyperParameters.TryGetValue("foldInL2", out var text)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;
}
