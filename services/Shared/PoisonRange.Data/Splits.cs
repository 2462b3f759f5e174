namespace PoisonRange.Data;

/// <summary>
/// Leave-last-two-out: per user, the last interaction is the test item, the one before it the
/// validation item, the rest is training data. Users with fewer than three interactions keep
/// everything in <see cref="Train"/> and have -1 as validation and test item.
/// </summary>
public sealed class LeaveLastTwoOutSplit
{
    private readonly InteractionDataset _source;
    private InteractionDataset? _trainWithValidation;

    internal LeaveLastTwoOutSplit(InteractionDataset source, InteractionDataset train, int[] validationItem, int[] testItem)
    {
        _source = source;
        Train = train;
        ValidationItem = validationItem;
        TestItem = testItem;
    }

    /// <summary>Every user's sequence without its last two interactions; same users, items and ids as the source.</summary>
    public InteractionDataset Train { get; }

    /// <summary>Per user, the second-to-last item, or -1.</summary>
    public int[] ValidationItem { get; }

    /// <summary>Per user, the last item, or -1.</summary>
    public int[] TestItem { get; }

    /// <summary>Training data plus the validation item (every sequence without its last interaction), for the final fit before testing.</summary>
    public InteractionDataset TrainWithValidation => _trainWithValidation ??= Splits.DropLast(_source, 1, 3, out _);

    /// <summary>Users that have a test item.</summary>
    public IEnumerable<int> EvaluableUsers()
    {
        for (int u = 0; u < TestItem.Length; u++) if (TestItem[u] >= 0) yield return u;
    }
}

/// <summary>
/// Leave-last-out: per user, the last interaction is the test item and the rest is training
/// data. Users with fewer than two interactions keep everything and have -1 as test item.
/// </summary>
public sealed class LeaveLastOutSplit
{
    internal LeaveLastOutSplit(InteractionDataset train, int[] testItem)
    {
        Train = train;
        TestItem = testItem;
    }

    public InteractionDataset Train { get; }

    /// <summary>Per user, the last item, or -1.</summary>
    public int[] TestItem { get; }

    public IEnumerable<int> EvaluableUsers()
    {
        for (int u = 0; u < TestItem.Length; u++) if (TestItem[u] >= 0) yield return u;
    }
}

/// <summary>A per-user random hold-out: <see cref="Test"/> holds each user's held-out items (in chronological order).</summary>
public sealed class HoldoutSplit
{
    internal HoldoutSplit(InteractionDataset train, int[][] test)
    {
        Train = train;
        Test = test;
    }

    /// <summary>The remaining interactions in their original order; same users, items and ids as the source.</summary>
    public InteractionDataset Train { get; }

    /// <summary>Per user, the held-out items (possibly none).</summary>
    public int[][] Test { get; }
}

/// <summary>Train/validation/test splits. All keep the users, items and ids of the source.</summary>
public static class Splits
{
    public static LeaveLastTwoOutSplit LeaveLastTwoOut(InteractionDataset d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var train = DropLast(d, 2, 3, out var heldOut);
        var validation = new int[d.UserCount];
        var test = new int[d.UserCount];
        for (int u = 0; u < d.UserCount; u++)
        {
            validation[u] = heldOut[u] is { Length: 2 } h ? h[0] : -1;
            test[u] = heldOut[u] is { Length: 2 } t ? t[1] : -1;
        }
        return new LeaveLastTwoOutSplit(d, train, validation, test);
    }

    public static LeaveLastOutSplit LeaveLastOut(InteractionDataset d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var train = DropLast(d, 1, 2, out var heldOut);
        var test = new int[d.UserCount];
        for (int u = 0; u < d.UserCount; u++) test[u] = heldOut[u] is { Length: 1 } h ? h[0] : -1;
        return new LeaveLastOutSplit(train, test);
    }

    /// <summary>
    /// Holds out, per user, round(<paramref name="testFraction"/> × length) randomly chosen
    /// interactions (never all of them: at least one stays in training). Deterministic for a
    /// seed; each user's choice depends only on the seed and the user's index and length.
    /// </summary>
    public static HoldoutSplit RandomHoldout(InteractionDataset d, double testFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be in (0, 1).");

        var trainSeq = new int[d.UserCount][];
        var trainTimes = d.Timestamps is null ? null : new long[d.UserCount][];
        var trainRatings = d.Ratings is null ? null : new float[d.UserCount][];
        var test = new int[d.UserCount][];
        var keep = new List<int>();
        var held = new List<int>();
        for (int u = 0; u < d.UserCount; u++)
        {
            var seq = d.Sequences[u];
            int n = seq.Length;
            int nTest = Math.Min((int)Math.Round(n * testFraction, MidpointRounding.AwayFromZero), Math.Max(0, n - 1));
            var isTest = new bool[n];
            if (nTest > 0)
            {
                var rng = SeededRandom.Derive(seed, (ulong)u);
                foreach (var p in rng.SampleWithoutReplacement(n, nTest)) isTest[p] = true;
            }
            keep.Clear();
            held.Clear();
            for (int p = 0; p < n; p++) (isTest[p] ? held : keep).Add(p);
            trainSeq[u] = SequenceOps.Select(seq, keep);
            if (trainTimes is not null) trainTimes[u] = SequenceOps.Select(d.Timestamps![u], keep);
            if (trainRatings is not null) trainRatings[u] = SequenceOps.Select(d.Ratings![u], keep);
            test[u] = SequenceOps.Select(seq, held);
        }
        return new HoldoutSplit(d.WithSequences(trainSeq, trainTimes, trainRatings), test);
    }

    /// <summary>
    /// Removes the last <paramref name="count"/> interactions of every user that has at least
    /// <paramref name="minLength"/>; <paramref name="heldOut"/> gets the removed items (null for users left whole).
    /// </summary>
    internal static InteractionDataset DropLast(InteractionDataset d, int count, int minLength, out int[]?[] heldOut)
    {
        var seqs = new int[d.UserCount][];
        var times = d.Timestamps is null ? null : new long[d.UserCount][];
        var ratings = d.Ratings is null ? null : new float[d.UserCount][];
        heldOut = new int[d.UserCount][];
        for (int u = 0; u < d.UserCount; u++)
        {
            var seq = d.Sequences[u];
            int keep = seq.Length >= minLength ? seq.Length - count : seq.Length;
            seqs[u] = SequenceOps.Slice(seq, 0, keep);
            if (times is not null) times[u] = SequenceOps.Slice(d.Timestamps![u], 0, keep);
            if (ratings is not null) ratings[u] = SequenceOps.Slice(d.Ratings![u], 0, keep);
            heldOut[u] = keep < seq.Length ? SequenceOps.Slice(seq, keep, seq.Length - keep) : null;
        }
        return d.WithSequences(seqs, times, ratings);
    }
}
