using PoisonRange.Recommenders.Checkpoints;

namespace PoisonRange.Recommenders.Classical;

/// <summary>The ridge factor body shared by the models of this folder (on top of <see cref="CheckpointFormat"/>).</summary>
internal static class ClassicalCheckpoint
{
    /// <summary>
    /// Body of a ridge factor model (version 1): int32 users, items, factors; float64 fold-in
    /// Gram weight, extra weight, target, λ; user factors (users × d), item factors (items × d),
    /// popularity (items); byte hasItemTargets, [per-item fold-in targets (items)].
    /// </summary>
    public static void WriteRidgeFactors(BinaryWriter writer, RidgeFactorServing model)
    {
        writer.Write(model.Users);
        writer.Write(model.Items);
        writer.Write(model.Factors);
        writer.Write(model.FoldInRule.GramWeight);
        writer.Write(model.FoldInRule.ExtraWeight);
        writer.Write(model.FoldInRule.Target);
        writer.Write(model.FoldInRule.Lambda);
        CheckpointFormat.WriteFloats(writer, model.UserFactors);
        CheckpointFormat.WriteFloats(writer, model.ItemFactors);
        CheckpointFormat.WriteFloats(writer, model.Popularity);
        writer.Write(model.ItemTargets is not null);
        if (model.ItemTargets is not null) CheckpointFormat.WriteFloats(writer, model.ItemTargets);
    }

    public static RidgeFactorServing ReadRidgeFactors(BinaryReader reader) => CheckpointFormat.ReadBody(() => ReadRidgeFactorsCore(reader));

    private static RidgeFactorServing ReadRidgeFactorsCore(BinaryReader reader)
    {
        int users = CheckpointFormat.ReadDimension(reader, "users");
        int items = CheckpointFormat.ReadDimension(reader, "items");
        int factors = CheckpointFormat.ReadDimension(reader, "factors", 4096);
        if ((long)users * factors > int.MaxValue || (long)items * factors > int.MaxValue)
            throw new InvalidDataException($"Corrupt checkpoint: {users} users × {items} items × {factors} factors.");
        var rule = new RidgeFoldIn(reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
        if (!double.IsFinite(rule.GramWeight) || !double.IsFinite(rule.ExtraWeight) || !double.IsFinite(rule.Target) || !(rule.Lambda >= 0))
            throw new InvalidDataException($"Corrupt checkpoint: fold-in rule {rule}.");
        var userFactors = CheckpointFormat.ReadFloats(reader, users * factors);
        var itemFactors = CheckpointFormat.ReadFloats(reader, items * factors);
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        var itemTargets = reader.ReadBoolean() ? CheckpointFormat.ReadFloats(reader, items) : null;
        return new RidgeFactorServing(users, items, factors, userFactors, itemFactors, popularity, rule, itemTargets);
    }

    /// <summary>Training interactions per item (counting repeats) as floats.</summary>
    public static float[] Popularity(PoisonRange.Data.InteractionDataset data)
    {
        var counts = data.ItemPopularity();
        var popularity = new float[counts.Length];
        for (int i = 0; i < counts.Length; i++) popularity[i] = counts[i];
        return popularity;
    }
}
