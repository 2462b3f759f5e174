namespace PoisonRange.Data;

/// <summary>
/// Collects interaction rows (interning external ids through dictionaries, without a string
/// per row for ids already seen) and turns them into an <see cref="InteractionDataset"/>:
/// ids ordered naturally, per-user sequences sorted stably by time.
/// </summary>
internal sealed class InteractionBuilder
{
    private readonly Dictionary<string, int> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _userLookup;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _itemLookup;
    private readonly List<string> _userIds = [];
    private readonly List<string> _itemIds = [];
    private int[] _rowUser = new int[1024];
    private int[] _rowItem = new int[1024];
    private float[]? _rowRating;
    private long[]? _rowTime;
    private int _count;

    public InteractionBuilder(bool hasRatings, bool hasTimestamps)
    {
        _userLookup = _users.GetAlternateLookup<ReadOnlySpan<char>>();
        _itemLookup = _items.GetAlternateLookup<ReadOnlySpan<char>>();
        if (hasRatings) _rowRating = new float[1024];
        if (hasTimestamps) _rowTime = new long[1024];
    }

    public int Count => _count;
    public bool HasRatings => _rowRating is not null;
    public bool HasTimestamps => _rowTime is not null;

    public int InternUser(ReadOnlySpan<char> id) => Intern(_userLookup, _userIds, id);
    public int InternItem(ReadOnlySpan<char> id) => Intern(_itemLookup, _itemIds, id);

    private static int Intern(Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup, List<string> ids, ReadOnlySpan<char> id)
    {
        if (lookup.TryGetValue(id, out int index)) return index;
        index = ids.Count;
        var s = id.ToString();
        lookup.Dictionary.Add(s, index);
        ids.Add(s);
        return index;
    }

    public void Add(int user, int item, float rating, long time)
    {
        if (_count == _rowUser.Length) Grow();
        _rowUser[_count] = user;
        _rowItem[_count] = item;
        if (_rowRating is not null) _rowRating[_count] = rating;
        if (_rowTime is not null) _rowTime[_count] = time;
        _count++;
    }

    private void Grow()
    {
        int size = _rowUser.Length * 2;
        Array.Resize(ref _rowUser, size);
        Array.Resize(ref _rowItem, size);
        if (_rowRating is not null) Array.Resize(ref _rowRating, size);
        if (_rowTime is not null) Array.Resize(ref _rowTime, size);
    }

    /// <summary>Largest absolute timestamp seen (to decide between seconds and milliseconds).</summary>
    public long MaxAbsTime()
    {
        long max = 0;
        if (_rowTime is null) return 0;
        for (int i = 0; i < _count; i++)
        {
            long v = _rowTime[i];
            long a = v == long.MinValue ? long.MaxValue : Math.Abs(v);
            if (a > max) max = a;
        }
        return max;
    }

    public InteractionDataset Build(string name, TimestampUnit unit, bool removeDuplicates, string pathForErrors)
    {
        if (_rowTime is not null)
        {
            bool seconds = unit switch
            {
                TimestampUnit.Seconds => true,
                TimestampUnit.Milliseconds => false,
                _ => MaxAbsTime() < 100_000_000_000L,
            };
            if (seconds)
            {
                const long limit = long.MaxValue / 1000;
                for (int i = 0; i < _count; i++)
                {
                    long t = _rowTime[i];
                    if (t > limit || t < -limit)
                        throw new DatasetFormatException($"{Path.GetFileName(pathForErrors)}: timestamp {t} s is out of range.");
                    _rowTime[i] = t * 1000;
                }
            }
        }

        var userMap = NaturalOrder(_userIds, out var userIds);
        var itemMap = NaturalOrder(_itemIds, out var itemIds);
        int userCount = userIds.Length;

        var lengths = new int[userCount];
        for (int r = 0; r < _count; r++) lengths[userMap[_rowUser[r]]]++;
        var sequences = new int[userCount][];
        var times = _rowTime is null ? null : new long[userCount][];
        var ratings = _rowRating is null ? null : new float[userCount][];
        for (int u = 0; u < userCount; u++)
        {
            sequences[u] = new int[lengths[u]];
            if (times is not null) times[u] = new long[lengths[u]];
            if (ratings is not null) ratings[u] = new float[lengths[u]];
        }
        var fill = new int[userCount];
        for (int r = 0; r < _count; r++)
        {
            int u = userMap[_rowUser[r]];
            int p = fill[u]++;
            sequences[u][p] = itemMap[_rowItem[r]];
            if (times is not null) times[u][p] = _rowTime![r];
            if (ratings is not null) ratings[u][p] = _rowRating![r];
        }

        if (times is not null)
            for (int u = 0; u < userCount; u++)
                SequenceOps.StableSortByTime(sequences[u], times[u], ratings?[u]);

        if (removeDuplicates)
            for (int u = 0; u < userCount; u++)
                SequenceOps.RemoveDuplicateItems(sequences, times, ratings, u);

        return new InteractionDataset(name, userIds, itemIds, sequences, times, ratings);
    }

    /// <summary>Returns old index -> new index so that new ids follow the natural order of the external ids.</summary>
    private static int[] NaturalOrder(List<string> ids, out string[] sorted)
    {
        sorted = ids.ToArray();
        var order = new int[sorted.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(sorted, order, NaturalStringComparer.Instance);
        var map = new int[order.Length];
        for (int newIndex = 0; newIndex < order.Length; newIndex++) map[order[newIndex]] = newIndex;
        return map;
    }
}
