using PoisonRange.Data;

namespace PoisonRange.Agent.Loki;

/// <summary>
/// The platform ids of the simulator's training set, in its index order (the order the
/// estimator's internal ids follow): item i of the training set is <c>ItemIds[i]</c>, user u is
/// <c>UserIds[u]</c>.
/// </summary>
public sealed class TrainingSetMap(IReadOnlyList<string> itemIds, IReadOnlyList<string> userIds)
{
    public IReadOnlyList<string> ItemIds { get; } = itemIds ?? throw new ArgumentNullException(nameof(itemIds));

    public IReadOnlyList<string> UserIds { get; } = userIds ?? throw new ArgumentNullException(nameof(userIds));

    public int UserCount => UserIds.Count;

    /// <summary>Each of the view's item and user indices as a training-set index (−1 when the training set lacks it), joined on platform ids.</summary>
    public ViewJoin Join(InteractionDataset view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var items = Lookup(view.ItemIds, ItemIds, out int missingItems);
        var users = Lookup(view.UserIds, UserIds, out int missingUsers);
        return new ViewJoin(items, users, missingItems, missingUsers);
    }

    private static int[] Lookup(IReadOnlyList<string> from, IReadOnlyList<string> to, out int missing)
    {
        var index = new Dictionary<string, int>(to.Count, StringComparer.Ordinal);
        for (int i = 0; i < to.Count; i++) index.TryAdd(to[i], i);
        var result = new int[from.Count];
        missing = 0;
        for (int i = 0; i < from.Count; i++)
        {
            result[i] = index.TryGetValue(from[i], out var j) ? j : -1;
            if (result[i] < 0) missing++;
        }
        return result;
    }
}

/// <summary>The view's indices in the simulator's training set (−1: absent) and how many are absent.</summary>
public sealed record ViewJoin(int[] ViewToTrainingItem, int[] ViewToTrainingUser, int MissingItems, int MissingUsers);
