using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// Item-based collaborative filtering (Sarwar et al. 2001) with Jaccard similarity, as the
/// neighbourhood victim of Tang et al. (RecSys 2020):
/// <code>
/// sim(i, j) = |U_i ∩ U_j| / |U_i ∪ U_j|     (U_i: the users who interacted with i)
/// score(u, j) = Σ_{i ∈ H_u} sim(i, j) · [j ∈ kNN(i)]
/// </code>
/// where kNN(i) holds the k items most similar to i (ties to the lower id). The neighbourhood is
/// that of the history items ("item i votes for its k neighbours"), not of the candidate, so a
/// candidate can collect votes from history items it is not itself close to in its own list.
/// Repeated interactions count once.
/// </summary>
/// <remarks>
/// <para><b>Storage.</b> Only the k neighbours of each item are kept (item ids and similarities,
/// compressed rows): O(items·k) memory. Fitting computes the co-occurrence counts one item at a
/// time with a dense counter, O(Σ_u |H_u|²) time, in parallel over items; the result does not
/// depend on the thread count.</para>
/// <para><b>Ties.</b> Items that no history item votes for score below every voted item and are
/// ordered among themselves by training popularity (score = popularity / (max + 1) − 1), so a
/// short history still gets a full, sensible ranking.</para>
/// <para><b>Fold-in.</b> Exact: the score only needs the history, so an unseen history is scored by
/// the same formula as a training user (order and repeats ignored); an empty history gets the
/// popularity ranking.</para>
/// </remarks>
public sealed class ItemCf : IRecommender
{
    public const string KindName = "itemcf";
    private const int BodyVersion = 1;

    private sealed record State(int Users, int Items, int[] Offsets, int[] Neighbors, float[] Similarities, float[] Popularity,
        int[] UserOffsets, int[] UserItems)
    {
        public float MaxPopularity { get; } = Popularity.Length == 0 ? 0 : Popularity.Max();
    }

    private volatile State? _state;

    public ItemCf(ItemCfOptions? options = null)
    {
        Options = options ?? new ItemCfOptions();
    }

    /// <summary>The settings this model fits with.</summary>
    public ItemCfOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<ItemCfOptions, ItemCf>(
        KindName,
        "item-based collaborative filtering, Jaccard similarity, k nearest neighbours (Tang et al. 2020)",
        options => new ItemCf(options),
        (model, header, reader) => model._state = CheckpointFormat.ReadBody(() => ReadBody(reader)));

    public string Kind => KindName;
    public int ItemCount => _state?.Items ?? 0;
    public int UserCount => _state?.Users ?? 0;

    /// <summary>The stored neighbours of <paramref name="item"/> with their similarities, most similar first.</summary>
    public (int[] Items, float[] Similarities) NeighborsOf(int item)
    {
        var state = RequireState();
        if ((uint)item >= (uint)state.Items)
            throw new ArgumentOutOfRangeException(nameof(item), item, $"Item {item} is outside 0..{state.Items - 1}.");
        int start = state.Offsets[item], length = state.Offsets[item + 1] - start;
        return (state.Neighbors.AsSpan(start, length).ToArray(), state.Similarities.AsSpan(start, length).ToArray());
    }

    public void Fit(InteractionDataset train, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.ItemCount == 0 || train.UserCount == 0)
            throw new ArgumentException($"Cannot train on {train}: it needs at least one user and one item.", nameof(train));
        cancellationToken.ThrowIfCancellationRequested();
        var stopwatch = Stopwatch.StartNew();
        var matrix = InteractionMatrix.FromDataset(train, CellValue.One);
        int items = matrix.Items, k = Options.Neighbors;

        var lists = new (int[] Ids, float[] Sims)[items];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Options.Threads, CancellationToken = cancellationToken };
        Parallel.For(0, items, options, () => new Scratch(items), (i, _, scratch) =>
        {
            lists[i] = Neighborhood(matrix, i, k, scratch);
            return scratch;
        }, _ => { });

        var offsets = new int[items + 1];
        for (int i = 0; i < items; i++) offsets[i + 1] = checked(offsets[i] + lists[i].Ids.Length);
        var neighbors = new int[offsets[items]];
        var similarities = new float[offsets[items]];
        for (int i = 0; i < items; i++)
        {
            lists[i].Ids.CopyTo(neighbors, offsets[i]);
            lists[i].Sims.CopyTo(similarities, offsets[i]);
        }
        cancellationToken.ThrowIfCancellationRequested();
        _state = new State(matrix.Users, items, offsets, neighbors, similarities, ImplicitFeedback.Popularity(train),
            matrix.UserOffsets, matrix.UserItems);
        progress?.Report(new TrainProgress(1, 1, 0, stopwatch.Elapsed));
    }

    private sealed class Scratch(int items)
    {
        public readonly int[] Counts = new int[items];
        public readonly List<int> Touched = new();
    }

    /// <summary>The k most Jaccard-similar items of item i (similarity descending, then id ascending).</summary>
    private static (int[] Ids, float[] Sims) Neighborhood(InteractionMatrix matrix, int i, int k, Scratch scratch)
    {
        var counts = scratch.Counts;
        var touched = scratch.Touched;
        touched.Clear();
        foreach (var u in matrix.UsersOf(i))
            foreach (var j in matrix.ItemsOf(u))
                if (j != i && counts[j]++ == 0) touched.Add(j);
        if (touched.Count == 0) return ([], []);

        int degreeI = matrix.ItemOffsets[i + 1] - matrix.ItemOffsets[i];
        var ids = touched.ToArray();
        var sims = new double[ids.Length];
        for (int t = 0; t < ids.Length; t++)
        {
            int j = ids[t];
            int common = counts[j];
            int degreeJ = matrix.ItemOffsets[j + 1] - matrix.ItemOffsets[j];
            sims[t] = common / (double)(degreeI + degreeJ - common);
            counts[j] = 0;
        }
        var order = new int[ids.Length];
        for (int t = 0; t < order.Length; t++) order[t] = t;
        Array.Sort(order, (a, b) =>
        {
            int bySimilarity = sims[b].CompareTo(sims[a]);
            return bySimilarity != 0 ? bySimilarity : ids[a].CompareTo(ids[b]);
        });
        int keep = Math.Min(k, ids.Length);
        var keptIds = new int[keep];
        var keptSims = new float[keep];
        for (int t = 0; t < keep; t++)
        {
            keptIds[t] = ids[order[t]];
            keptSims[t] = (float)sims[order[t]];
        }
        return (keptIds, keptSims);
    }

    public void ScoreUser(int user, Span<float> scores)
    {
        var state = RequireState();
        if ((uint)user >= (uint)state.Users)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{state.Users - 1}.");
        CheckScores(state, scores);
        Score(state, state.UserItems.AsSpan(state.UserOffsets[user], state.UserOffsets[user + 1] - state.UserOffsets[user]), scores);
    }

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores)
    {
        var state = RequireState();
        CheckScores(state, scores);
        Score(state, InteractionMatrix.DistinctItems(history, state.Items), scores);
    }

    /// <summary>Sums the similarity votes of the sorted distinct <paramref name="history"/>, then ranks unvoted items by popularity.</summary>
    private static void Score(State state, ReadOnlySpan<int> history, Span<float> scores)
    {
        scores.Clear();
        foreach (var i in history)
        {
            int start = state.Offsets[i], end = state.Offsets[i + 1];
            for (int t = start; t < end; t++) scores[state.Neighbors[t]] += state.Similarities[t];
        }
        float scale = 1f / (state.MaxPopularity + 1f);
        var popularity = state.Popularity;
        for (int j = 0; j < scores.Length; j++)
            if (scores[j] == 0) scores[j] = popularity[j] * scale - 1f;
    }

    private static void CheckScores(State state, Span<float> scores)
    {
        if (scores.Length != state.Items)
            throw new ArgumentException($"The score buffer has {scores.Length} entries; the model scores {state.Items} items.", nameof(scores));
    }

    private State RequireState() => _state ?? throw new InvalidOperationException("ItemCf is not fitted or loaded.");

    /// <summary>
    /// Body layout (version 1): int32 users, items; neighbour row offsets (items + 1 int32),
    /// neighbour ids (int32), similarities (float32), popularity (items float32), then the
    /// training rows: user offsets (users + 1 int32) and their sorted distinct items (int32).
    /// </summary>
    public void Save(Stream stream)
    {
        var state = RequireState();
        using var writer = CheckpointFormat.CreateWriter(stream);
        ModelRegistration.WriteHeader(writer, KindName, BodyVersion, Options);
        writer.Write(state.Users);
        writer.Write(state.Items);
        CheckpointFormat.WriteInts(writer, state.Offsets);
        CheckpointFormat.WriteInts(writer, state.Neighbors);
        CheckpointFormat.WriteFloats(writer, state.Similarities);
        CheckpointFormat.WriteFloats(writer, state.Popularity);
        CheckpointFormat.WriteInts(writer, state.UserOffsets);
        CheckpointFormat.WriteInts(writer, state.UserItems);
        CheckpointFormat.WriteEnd(writer);
    }

    public void Load(Stream stream)
    {
        using var reader = CheckpointFormat.CreateReader(stream);
        CheckpointFormat.ReadHeader(reader, KindName, BodyVersion);
        _state = CheckpointFormat.ReadBody(() => ReadBody(reader));
    }

    private static State ReadBody(BinaryReader reader)
    {
        int users = CheckpointFormat.ReadDimension(reader, "users");
        int items = CheckpointFormat.ReadDimension(reader, "items");
        var offsets = CheckpointFormat.ReadInts(reader, items + 1);
        CheckRows(offsets, "neighbour");
        var neighbors = CheckpointFormat.ReadInts(reader, offsets[items]);
        var similarities = CheckpointFormat.ReadFloats(reader, offsets[items]);
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        var userOffsets = CheckpointFormat.ReadInts(reader, users + 1);
        CheckRows(userOffsets, "user");
        var userItems = CheckpointFormat.ReadInts(reader, userOffsets[users]);
        CheckpointFormat.ReadEnd(reader);
        foreach (var j in neighbors)
            if ((uint)j >= (uint)items) throw new InvalidDataException($"Corrupt checkpoint: neighbour {j} outside 0..{items - 1}.");
        foreach (var j in userItems)
            if ((uint)j >= (uint)items) throw new InvalidDataException($"Corrupt checkpoint: item {j} outside 0..{items - 1}.");
        return new State(users, items, offsets, neighbors, similarities, popularity, userOffsets, userItems);
    }

    private static void CheckRows(int[] offsets, string what)
    {
        if (offsets[0] != 0) throw new InvalidDataException($"Corrupt checkpoint: {what} offsets do not start at 0.");
        for (int t = 1; t < offsets.Length; t++)
            if (offsets[t] < offsets[t - 1]) throw new InvalidDataException($"Corrupt checkpoint: {what} offsets are not monotone.");
    }

    public void Dispose() => _state = null;
}
