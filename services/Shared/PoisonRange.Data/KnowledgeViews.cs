namespace PoisonRange.Data;

/// <summary>
/// Partial views of a dataset, modelling an attacker who sees only part of the public activity.
/// Both views keep the whole item catalogue with unchanged item ids (the catalogue is public);
/// users are those with at least one visible interaction, renumbered densely in their original
/// order, with their external ids kept. Deterministic for a seed; a fraction of 1 returns the
/// dataset itself.
/// </summary>
public static class KnowledgeViews
{
    /// <summary>
    /// Keeps round(<paramref name="fraction"/> × interactions) interactions (at least one), chosen
    /// uniformly without replacement; each user's visible interactions keep their order.
    /// </summary>
    public static InteractionDataset SampleInteractions(InteractionDataset d, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(d);
        CheckFraction(fraction);
        if (fraction >= 1.0 || d.InteractionCount == 0) return d;

        long total = d.InteractionCount;
        if (total > int.MaxValue) throw new NotSupportedException("Datasets with more than 2^31 interactions are not supported.");
        int k = Math.Max(1, (int)Math.Round(total * fraction, MidpointRounding.AwayFromZero));
        var chosen = new SeededRandom(seed).SampleWithoutReplacement((int)total, k);

        var userIds = new List<string>();
        var seqs = new List<int[]>();
        var times = d.Timestamps is null ? null : new List<long[]>();
        var ratings = d.Ratings is null ? null : new List<float[]>();
        var keep = new List<int>();
        int next = 0;
        long offset = 0;
        for (int u = 0; u < d.UserCount; u++)
        {
            var seq = d.Sequences[u];
            keep.Clear();
            while (next < chosen.Length && chosen[next] < offset + seq.Length)
                keep.Add((int)(chosen[next++] - offset));
            offset += seq.Length;
            if (keep.Count == 0) continue;
            userIds.Add(d.UserIds[u]);
            seqs.Add(SequenceOps.Select(seq, keep));
            times?.Add(SequenceOps.Select(d.Timestamps![u], keep));
            ratings?.Add(SequenceOps.Select(d.Ratings![u], keep));
        }
        return new InteractionDataset(d.Name, userIds, d.ItemIds, [.. seqs], times?.ToArray(), ratings?.ToArray());
    }

    /// <summary>
    /// Keeps round(<paramref name="fraction"/> × users) users (at least one), chosen uniformly
    /// without replacement, with their whole sequences. A chosen user without any interaction
    /// is left out of the view.
    /// </summary>
    public static InteractionDataset SampleUsers(InteractionDataset d, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(d);
        CheckFraction(fraction);
        if (fraction >= 1.0) return d;

        int k = Math.Max(1, (int)Math.Round(d.UserCount * fraction, MidpointRounding.AwayFromZero));
        var chosen = new SeededRandom(seed).SampleWithoutReplacement(d.UserCount, Math.Min(k, d.UserCount));
        var userIds = new List<string>(chosen.Length);
        var seqs = new List<int[]>(chosen.Length);
        var times = d.Timestamps is null ? null : new List<long[]>();
        var ratings = d.Ratings is null ? null : new List<float[]>();
        foreach (var u in chosen)
        {
            if (d.Sequences[u].Length == 0) continue;
            userIds.Add(d.UserIds[u]);
            seqs.Add((int[])d.Sequences[u].Clone());
            times?.Add((long[])d.Timestamps![u].Clone());
            ratings?.Add((float[])d.Ratings![u].Clone());
        }
        return new InteractionDataset(d.Name, userIds, d.ItemIds, [.. seqs], times?.ToArray(), ratings?.ToArray());
    }

    private static void CheckFraction(double fraction)
    {
        if (!(fraction > 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction must be in (0, 1].");
    }
}
