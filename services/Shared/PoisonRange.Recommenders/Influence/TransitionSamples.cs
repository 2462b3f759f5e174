using PoisonRange.Data;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Influence;

/// <summary>
/// The training samples of the next-item models trained with sequential BPR (FPMC, TransRec), as
/// their influence views see them: every transition (user, previous item → next item) that
/// <see cref="TransitionSet"/> gives Fit, each with a fixed set of negatives, and the transitions a
/// new account's ordered profile would add.
/// </summary>
/// <remarks>
/// Fit draws a fresh negative for every transition each epoch; the Hessian needs one fixed
/// function, so transition k of user u gets its negatives from a generator seeded by
/// (seed, u, k), and position k of a profile (previous item l, next item i) from one seeded by
/// (seed, k, l, i), both independent of order and of the other profiles of a batch. Negatives are
/// drawn, as Fit draws them, uniformly from the items outside the sequence's distinct items.
/// </remarks>
internal sealed class TransitionUnits
{
    private const ulong ProfileSalt = 0x5E0E5E0E5E0E5E0EUL;

    private readonly int[] _user;
    private readonly int[] _previous;
    private readonly int[] _next;
    private readonly int[] _negatives; // NegativesPerTransition per unit
    private readonly int[][] _userUnits;
    private readonly ulong _seed;

    public TransitionUnits(InteractionDataset train, ulong seed, int negativesPerTransition)
    {
        if (negativesPerTransition is < 1 or > 64)
            throw new ArgumentOutOfRangeException(nameof(negativesPerTransition), negativesPerTransition,
                $"negativesPerTransition must be between 1 and 64; got {negativesPerTransition}.");
        var data = TransitionSet.Build(train);
        _seed = seed;
        Items = train.ItemCount;
        NegativesPerTransition = negativesPerTransition;
        _user = data.TransitionUsers;
        _previous = data.Previous;
        _next = data.Next;
        _negatives = new int[data.Count * negativesPerTransition];
        var units = new List<int>[train.UserCount];
        for (int t = 0, position = 0; t < data.Count; t++)
        {
            int u = _user[t];
            position = t > 0 && _user[t - 1] == u ? position + 1 : 0;
            (units[u] ??= []).Add(t);
            var rng = new SeededRandom(BprMfInfluence.Mix(seed, (ulong)u, (ulong)position), BoundedIntegers.Full64Bits);
            for (int r = 0; r < negativesPerTransition; r++)
                _negatives[t * negativesPerTransition + r] = ImplicitFeedback.SampleNegative(rng, data.Positives[u], Items);
        }
        _userUnits = units.Select(list => list?.ToArray() ?? []).ToArray();
    }

    public int Items { get; }
    public int NegativesPerTransition { get; }

    /// <summary>Number of training transitions (the units).</summary>
    public int Count => _next.Length;

    /// <summary>The samples of the given units: each unit's transition repeated once per negative, in unit order.</summary>
    public TransitionRows Rows(ReadOnlySpan<int> units)
    {
        int k = NegativesPerTransition;
        var rows = new TransitionRows(units.Length * k);
        for (int t = 0; t < units.Length; t++)
        {
            int unit = units[t];
            if ((uint)unit >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(units), unit, $"Unit {unit} is outside 0..{Count - 1}.");
            for (int r = 0; r < k; r++)
                rows.Set(t * k + r, _user[unit], _previous[unit], _next[unit], _negatives[unit * k + r]);
        }
        return rows;
    }

    /// <summary>
    /// The transitions a new account with this ordered profile would add (previous item → next
    /// item at every position after the first), each against <see cref="NegativesPerTransition"/>
    /// fixed negatives; none when the profile has fewer than two items or covers the catalogue
    /// (Fit skips such users). Items must already be checked against the catalogue.
    /// </summary>
    public List<(int Previous, int Next, int[] Negatives)> ProfileTransitions(int[] profile)
    {
        var result = new List<(int, int, int[])>();
        if (profile.Length < 2) return result;
        var distinct = profile.Distinct().ToArray();
        Array.Sort(distinct);
        if (distinct.Length >= Items) return result;
        for (int position = 1; position < profile.Length; position++)
        {
            int l = profile[position - 1], i = profile[position];
            var rng = new SeededRandom(BprMfInfluence.Mix(_seed ^ ProfileSalt, (ulong)position, ((ulong)(uint)l << 32) | (uint)i), BoundedIntegers.Full64Bits);
            var negatives = new int[NegativesPerTransition];
            for (int r = 0; r < negatives.Length; r++) negatives[r] = ImplicitFeedback.SampleNegative(rng, distinct, Items);
            result.Add((l, i, negatives));
        }
        return result;
    }

    /// <summary>
    /// The samples of new accounts with these ordered profiles: their transitions, owned by rows
    /// 0..profiles−1 of a table of their own user parameters (factors wide), each row set by
    /// <paramref name="foldIn"/> (zeros when it returns false). Items are checked against the catalogue.
    /// </summary>
    public TransitionBatch ProfileBatch(object source, IReadOnlyList<int[]> profiles, int factors, UserFoldIn foldIn)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        int k = NegativesPerTransition;
        var perProfile = new List<(int Previous, int Next, int[] Negatives)>[profiles.Count];
        var vectors = new double[profiles.Count * factors];
        var vector = new float[factors];
        int transitions = 0;
        for (int g = 0; g < profiles.Count; g++)
        {
            var profile = profiles[g] ?? throw new ArgumentException($"Profile {g} is null.", nameof(profiles));
            foreach (var item in profile)
                if ((uint)item >= (uint)Items)
                    throw new ArgumentOutOfRangeException(nameof(profiles), item, $"Profile {g} holds item {item}, outside 0..{Items - 1}.");
            perProfile[g] = ProfileTransitions(profile);
            transitions += perProfile[g].Count;
            if (perProfile[g].Count == 0) continue; // no samples: its parameters never enter a loss
            if (!foldIn(profile, vector)) vector.AsSpan().Clear();
            for (int c = 0; c < factors; c++) vectors[g * factors + c] = vector[c];
        }
        var rows = new TransitionRows(transitions * k);
        var groupOfSample = new int[transitions];
        int sample = 0;
        for (int g = 0; g < profiles.Count; g++)
            foreach (var (previous, next, negatives) in perProfile[g])
            {
                groupOfSample[sample] = g;
                for (int r = 0; r < k; r++) rows.Set(sample * k + r, g, previous, next, negatives[r]);
                sample++;
            }
        var own = new Parameter(tensor(vectors, [profiles.Count, factors], float64), requires_grad: false);
        return new TransitionBatch(source, profiles.Count, groupOfSample, rows, own);
    }

    /// <summary>The samples of training user <paramref name="user"/> (one group), owned by the user's row of θ.</summary>
    public TransitionBatch UserBatch(object source, int user)
    {
        if ((uint)user >= (uint)_userUnits.Length)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{_userUnits.Length - 1}.");
        var units = _userUnits[user];
        return new TransitionBatch(source, 1, new int[units.Length], Rows(units), null);
    }
}

/// <summary>Writes a new account's user parameters for an ordered history; false when the history carries no ranking information.</summary>
internal delegate bool UserFoldIn(ReadOnlySpan<int> history, Span<float> vector);

/// <summary>Flat (owner, previous, positive, negative) index arrays of S-BPR samples.</summary>
internal sealed class TransitionRows
{
    public TransitionRows(int count)
    {
        Owner = new long[count];
        Previous = new long[count];
        Positives = new long[count];
        Negatives = new long[count];
    }

    /// <summary>The row of each sample in the user table (θ's, or the batch's own new-account table).</summary>
    public long[] Owner { get; }
    public long[] Previous { get; }
    public long[] Positives { get; }
    public long[] Negatives { get; }
    public int Count => Owner.Length;

    public void Set(int row, int owner, int previous, int positive, int negative)
    {
        Owner[row] = owner;
        Previous[row] = previous;
        Positives[row] = positive;
        Negatives[row] = negative;
    }
}

/// <summary>
/// S-BPR samples prepared by one sequential influence view: one entry per transition (its rows,
/// one per negative, are consecutive), and for new accounts their user parameters, fixed at the
/// fold-in value unless a refit trains them.
/// </summary>
internal sealed class TransitionBatch(object source, int groups, int[] groupOfSample, TransitionRows rows, Parameter? ownUsers)
    : SampleBatch(groups, groupOfSample)
{
    /// <summary>The view that prepared the batch (its indices refer to that view's tables).</summary>
    public object Source { get; } = source;

    public TransitionRows Rows { get; } = rows;

    /// <summary>The new accounts' user parameters (groups × d), or null when the owners are training users.</summary>
    public Parameter? OwnUsers { get; } = ownUsers;

    public override IReadOnlyList<Tensor> OwnParameters => OwnUsers is null ? [] : [OwnUsers];

    protected override void Dispose(bool disposing)
    {
        if (disposing) OwnUsers?.Dispose();
    }
}

/// <summary>Checks and conversions the sequential influence views share.</summary>
internal static class SequentialInfluence
{
    /// <summary>
    /// Throws unless <paramref name="train"/> is the training set the serving model was fitted on,
    /// as far as the model can tell: the same users and items, every user's last training item and
    /// every item's interaction count.
    /// </summary>
    public static void CheckTrainingSet(InteractionDataset train, int users, int items, int[] lastItem, float[] popularity)
    {
        if (train.UserCount != users || train.ItemCount != items)
            throw new ArgumentException($"The training set {train} does not match the model ({users} users, {items} items).", nameof(train));
        for (int u = 0; u < users; u++)
        {
            var sequence = train.Sequences[u];
            int last = sequence.Length > 0 ? sequence[^1] : -1;
            if (last != lastItem[u])
                throw new ArgumentException(
                    $"The training set {train} does not match the model: user {u}'s last training item is {last}, the model's is {lastItem[u]}.", nameof(train));
        }
        var counts = train.ItemPopularity();
        for (int i = 0; i < items; i++)
            if (counts[i] != popularity[i])
                throw new ArgumentException(
                    $"The training set {train} does not match the model: item {i} has {counts[i]} training interactions, the model counted {popularity[i]}.", nameof(train));
    }

    /// <summary>The indices of the targets (user, item, the user's last training item or 0, and whether the user has none); throws on a target outside the model.</summary>
    public static (long[] Users, long[] Items, long[] Previous, bool[] Empty) TargetIndices(IReadOnlyList<TargetPair> targets, int users, int items, int[] lastItem)
    {
        ArgumentNullException.ThrowIfNull(targets);
        int n = targets.Count;
        var result = (Users: new long[n], Items: new long[n], Previous: new long[n], Empty: new bool[n]);
        for (int t = 0; t < n; t++)
        {
            var (user, item) = targets[t];
            if ((uint)user >= (uint)users)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[t], $"Target user {user} is outside 0..{users - 1}.");
            if ((uint)item >= (uint)items)
                throw new ArgumentOutOfRangeException(nameof(targets), targets[t], $"Target item {item} is outside 0..{items - 1}.");
            result.Users[t] = user;
            result.Items[t] = item;
            result.Empty[t] = lastItem[user] < 0;
            result.Previous[t] = Math.Max(0, lastItem[user]);
        }
        return result;
    }

    /// <summary>The squared norm of every row of a matrix.</summary>
    public static Tensor SquaredRows(Tensor t) => t.mul(t).sum(1);

    /// <summary>The scores, with the entries of users without a training history replaced by the items' popularity (constant in θ).</summary>
    public static Tensor PopularityForEmpty(Tensor scores, bool[] empty, long[] items, float[] popularity)
    {
        if (!empty.Any(e => e)) return scores;
        var fallback = tensor(items.Select(i => (double)popularity[i]).ToArray(), float64);
        return where(tensor(empty), fallback, scores);
    }

    /// <summary>A float64 matrix (rows × columns) from a row-major float array.</summary>
    public static Tensor ToTensor(float[] values, int rows, int columns)
    {
        var data = new double[values.Length];
        for (int k = 0; k < values.Length; k++) data[k] = values[k];
        return tensor(data, [rows, columns], float64);
    }

    /// <summary>A float64 vector from a float array.</summary>
    public static Tensor ToTensor(float[] values)
    {
        var data = new double[values.Length];
        for (int k = 0; k < values.Length; k++) data[k] = values[k];
        return tensor(data, float64);
    }
}
