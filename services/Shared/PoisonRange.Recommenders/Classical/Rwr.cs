using System.Buffers;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// The graph-based recommender of Fang et al. (WWW 2020, §7.1): a random walk with restart on
/// the user–item bipartite graph, edges weighted by ratings. From the user's node u,
/// <code>
/// p_u = (1 − α)·Q·p_u + α·e_u,   q_xy = w_xy / Σ_z w_xz   (Eqs. 22–23)
/// </code>
/// i.e. a walker at any node moves to a neighbour with probability proportional to the edge
/// weight and jumps back to u with probability α. The scores of u are the stationary
/// probabilities of the item nodes; the caller excludes the seen items (Fang: "the N items that
/// were not rated by user u and that have the largest probabilities").
/// </summary>
/// <remarks>
/// <para><b>Computation.</b> Power iteration from p = e_u, at most
/// <see cref="RwrOptions.Iterations"/> steps, stopping early when a step changes p by less than
/// <see cref="RwrOptions.Tolerance"/> in L1. Each step is two sparse matrix–vector products in
/// pull form over the compressed adjacency (item ← users, user ← items) with the degree
/// normalisation applied to the vector first, O(edges) per step, single-threaded per call,
/// with pooled buffers and no per-user cache (scoring ML-1M's whole catalogue costs tens of
/// milliseconds per user, see the zoo speed benchmark). Items no walk reaches score below every
/// reached item and are ordered by training popularity.</para>
/// <para><b>Fold-in.</b> Exact: an unseen history gets a virtual user node joined to its distinct
/// items by edges of the training mean weight, and the walk restarts at that node, on the graph
/// with the node added (so the history items' degrees include it) — exactly the scores the user
/// would get after a rebuild. Order and repeats do not matter; an empty history gets the
/// popularity ranking.</para>
/// </remarks>
public sealed class Rwr : IRecommender
{
    public const string KindName = "rwr";
    private const int BodyVersion = 1;

    private sealed class Graph
    {
        public Graph(InteractionMatrix matrix, float[] popularity)
        {
            Matrix = matrix;
            Popularity = popularity;
            MaxPopularity = popularity.Length == 0 ? 0 : popularity.Max();
            UserDegree = new float[matrix.Users];
            ItemDegree = new float[matrix.Items];
            for (int u = 0; u < matrix.Users; u++)
            {
                double sum = 0;
                foreach (var w in matrix.ValuesOfUser(u)) sum += w;
                UserDegree[u] = (float)sum;
            }
            for (int i = 0; i < matrix.Items; i++)
            {
                double sum = 0;
                foreach (var w in matrix.ValuesOfItem(i)) sum += w;
                ItemDegree[i] = (float)sum;
            }
            InverseUserDegree = UserDegree.Select(d => d > 0 ? 1f / d : 0f).ToArray();
            InverseItemDegree = ItemDegree.Select(d => d > 0 ? 1f / d : 0f).ToArray();
            UnitWeights = matrix.UserValues.All(w => w == 1f);
            MeanWeight = (float)matrix.MeanValue();
        }

        public InteractionMatrix Matrix { get; }
        public float[] Popularity { get; }
        public float MaxPopularity { get; }
        public float[] UserDegree { get; }
        public float[] ItemDegree { get; }
        public float[] InverseUserDegree { get; }
        public float[] InverseItemDegree { get; }
        public bool UnitWeights { get; }

        /// <summary>The weight of a folded-in user's edges.</summary>
        public float MeanWeight { get; }
    }

    private volatile Graph? _graph;

    public Rwr(RwrOptions? options = null)
    {
        Options = options ?? new RwrOptions();
    }

    /// <summary>The settings this model scores with.</summary>
    public RwrOptions Options { get; }

    internal static RecommenderRegistration Registration { get; } = ModelRegistration.Create<RwrOptions, Rwr>(
        KindName,
        "random walk with restart on the user-item bipartite graph (Fang et al. 2020, §7.1)",
        options => new Rwr(options),
        (model, header, reader) => model._graph = CheckpointFormat.ReadBody(() => ReadBody(reader)));

    public string Kind => KindName;
    public int ItemCount => _graph?.Matrix.Items ?? 0;
    public int UserCount => _graph?.Matrix.Users ?? 0;

    public void Fit(InteractionDataset train, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.ItemCount == 0 || train.UserCount == 0)
            throw new ArgumentException($"Cannot train on {train}: it needs at least one user and one item.", nameof(train));
        cancellationToken.ThrowIfCancellationRequested();
        var stopwatch = Stopwatch.StartNew();
        var matrix = InteractionMatrix.FromDataset(train, Options.UseRatings ? CellValue.MeanRating : CellValue.One);
        foreach (var w in matrix.UserValues)
            if (!(w > 0) || !float.IsFinite(w))
                throw new ArgumentException($"{train} has a non-positive or non-finite rating ({w}); random-walk edge weights must be positive. Set useRatings=false to use unit weights.", nameof(train));
        var graph = new Graph(matrix, ImplicitFeedback.Popularity(train));
        cancellationToken.ThrowIfCancellationRequested();
        _graph = graph;
        progress?.Report(new TrainProgress(1, 1, 0, stopwatch.Elapsed));
    }

    public void ScoreUser(int user, Span<float> scores)
    {
        var graph = RequireGraph();
        if ((uint)user >= (uint)graph.Matrix.Users)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{graph.Matrix.Users - 1}.");
        CheckScores(graph, scores);
        Walk(graph, user, [], scores);
    }

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores)
    {
        var graph = RequireGraph();
        CheckScores(graph, scores);
        var distinct = InteractionMatrix.DistinctItems(history, graph.Matrix.Items);
        if (distinct.Length == 0)
        {
            graph.Popularity.CopyTo(scores);
            return;
        }
        Walk(graph, -1, distinct, scores);
    }

    /// <summary>
    /// Power iteration from training user <paramref name="start"/>, or (start = −1) from a virtual
    /// user joined to the distinct <paramref name="history"/>; writes the item probabilities.
    /// </summary>
    private void Walk(Graph graph, int start, int[] history, Span<float> scores)
    {
        var matrix = graph.Matrix;
        int users = matrix.Users, items = matrix.Items;
        bool isVirtual = start < 0;
        float alpha = (float)Options.RestartProbability, beta = 1f - alpha;
        float virtualWeight = graph.MeanWeight;
        float inverseVirtualDegree = isVirtual ? 1f / (history.Length * virtualWeight) : 0f;

        var pool = ArrayPool<float>.Shared;
        float[] pU = pool.Rent(users + 1), nU = pool.Rent(users + 1), tU = pool.Rent(users + 1);
        float[] pI = pool.Rent(items), nI = pool.Rent(items), tI = pool.Rent(items);
        try
        {
            var pUser = pU.AsSpan(0, users + 1);
            var pItem = pI.AsSpan(0, items);
            var nUser = nU.AsSpan(0, users + 1);
            var nItem = nI.AsSpan(0, items);
            var tUser = tU.AsSpan(0, users + 1);
            var tItem = tI.AsSpan(0, items);
            pUser.Clear();
            pItem.Clear();
            int startNode = isVirtual ? users : start;
            pUser[startNode] = 1f;

            for (int step = 0; step < Options.Iterations; step++)
            {
                // Mass each node sends along one unit of edge weight.
                TensorPrimitives.Multiply(pUser[..users], graph.InverseUserDegree, tUser[..users]);
                tUser[users] = pUser[users] * inverseVirtualDegree;
                TensorPrimitives.Multiply(pItem, graph.InverseItemDegree, tItem);
                foreach (var i in history) tItem[i] = pItem[i] / (graph.ItemDegree[i] + virtualWeight);

                Pull(matrix.ItemOffsets, matrix.ItemUsers, matrix.ItemValues, graph.UnitWeights, tUser, nItem, beta);
                Pull(matrix.UserOffsets, matrix.UserItems, matrix.UserValues, graph.UnitWeights, tItem, nUser[..users], beta);
                if (isVirtual)
                {
                    float fromVirtual = beta * virtualWeight * tUser[users];
                    float toVirtual = 0;
                    foreach (var i in history)
                    {
                        nItem[i] += fromVirtual;
                        toVirtual += tItem[i];
                    }
                    nUser[users] = beta * virtualWeight * toVirtual;
                }
                else
                {
                    nUser[users] = 0;
                }
                nUser[startNode] += alpha;

                TensorPrimitives.Subtract(nUser, pUser, tUser);
                TensorPrimitives.Subtract(nItem, pItem, tItem);
                double change = (double)TensorPrimitives.SumOfMagnitudes<float>(tUser) + TensorPrimitives.SumOfMagnitudes<float>(tItem);
                nUser.CopyTo(pUser);
                nItem.CopyTo(pItem);
                if (change < Options.Tolerance) break;
            }

            pItem.CopyTo(scores);
            float scale = 1f / (graph.MaxPopularity + 1f);
            for (int j = 0; j < scores.Length; j++)
                if (scores[j] == 0) scores[j] = graph.Popularity[j] * scale - 1f;
        }
        finally
        {
            pool.Return(pU);
            pool.Return(nU);
            pool.Return(tU);
            pool.Return(pI);
            pool.Return(nI);
            pool.Return(tI);
        }
    }

    /// <summary>target[r] = scale · Σ_{k in row r} value[k] · source[column[k]] over compressed rows.</summary>
    private static void Pull(int[] offsets, int[] columns, float[] values, bool unitWeights, ReadOnlySpan<float> source, Span<float> target, float scale)
    {
        int rows = target.Length;
        if (rows >= offsets.Length || offsets[rows] > columns.Length || offsets[rows] > values.Length)
            throw new ArgumentException("The offsets do not cover the target.", nameof(offsets));
        // Bounds are checked above and the column ids when the adjacency was built; the gathers
        // skip per-element checks and keep four independent sums in flight.
        ref float sourceRef = ref MemoryMarshal.GetReference(source);
        ref int columnRef = ref MemoryMarshal.GetArrayDataReference(columns);
        ref float valueRef = ref MemoryMarshal.GetArrayDataReference(values);
        int end = offsets[0];
        for (int r = 0; r < rows; r++)
        {
            int k = end;
            end = offsets[r + 1];
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            if (unitWeights)
            {
                for (; k + 3 < end; k += 4)
                {
                    s0 += Unsafe.Add(ref sourceRef, Unsafe.Add(ref columnRef, k));
                    s1 += Unsafe.Add(ref sourceRef, Unsafe.Add(ref columnRef, k + 1));
                    s2 += Unsafe.Add(ref sourceRef, Unsafe.Add(ref columnRef, k + 2));
                    s3 += Unsafe.Add(ref sourceRef, Unsafe.Add(ref columnRef, k + 3));
                }
                for (; k < end; k++) s0 += Unsafe.Add(ref sourceRef, Unsafe.Add(ref columnRef, k));
            }
            else
            {
                for (; k + 3 < end; k += 4)
                {
                    s0 += Unsafe.Add(ref valueRef, k) * Unsafe.Add(ref sourceRef, Unsafe.Add(ref columnRef, k));
                    s1 += Unsafe.Add(ref valueRef, k + 1) * Unsafe.Add(ref sourceRef, Unsafe.Add(ref columnRef, k + 1));
                    s2 += Unsafe.Add(ref valueRef, k + 2) * Unsafe.Add(ref sourceRef, Unsafe.Add(ref columnRef, k + 2));
                    s3 += Unsafe.Add(ref valueRef, k + 3) * Unsafe.Add(ref sourceRef, Unsafe.Add(ref columnRef, k + 3));
                }
                for (; k < end; k++) s0 += Unsafe.Add(ref valueRef, k) * Unsafe.Add(ref sourceRef, Unsafe.Add(ref columnRef, k));
            }
            target[r] = scale * ((s0 + s1) + (s2 + s3));
        }
    }

    private static void CheckScores(Graph graph, Span<float> scores)
    {
        if (scores.Length != graph.Matrix.Items)
            throw new ArgumentException($"The score buffer has {scores.Length} entries; the model scores {graph.Matrix.Items} items.", nameof(scores));
    }

    private Graph RequireGraph() => _graph ?? throw new InvalidOperationException("Rwr is not fitted or loaded.");

    /// <summary>
    /// Body layout (version 1): int32 users, items; the graph as user rows: offsets (users + 1
    /// int32), sorted distinct items (int32), edge weights (float32); popularity (items float32).
    /// The item-major adjacency is rebuilt on load.
    /// </summary>
    public void Save(Stream stream)
    {
        var graph = RequireGraph();
        using var writer = CheckpointFormat.CreateWriter(stream);
        ModelRegistration.WriteHeader(writer, KindName, BodyVersion, Options);
        writer.Write(graph.Matrix.Users);
        writer.Write(graph.Matrix.Items);
        CheckpointFormat.WriteInts(writer, graph.Matrix.UserOffsets);
        CheckpointFormat.WriteInts(writer, graph.Matrix.UserItems);
        CheckpointFormat.WriteFloats(writer, graph.Matrix.UserValues);
        CheckpointFormat.WriteFloats(writer, graph.Popularity);
        CheckpointFormat.WriteEnd(writer);
    }

    /// <summary>Restores the graph of a checkpoint; the walk settings stay this instance's options.</summary>
    public void Load(Stream stream)
    {
        using var reader = CheckpointFormat.CreateReader(stream);
        CheckpointFormat.ReadHeader(reader, KindName, BodyVersion);
        _graph = CheckpointFormat.ReadBody(() => ReadBody(reader));
    }

    private static Graph ReadBody(BinaryReader reader)
    {
        int users = CheckpointFormat.ReadDimension(reader, "users");
        int items = CheckpointFormat.ReadDimension(reader, "items");
        var offsets = CheckpointFormat.ReadInts(reader, users + 1);
        var userItems = CheckpointFormat.ReadInts(reader, offsets[users] < 0 ? -1 : offsets[users]);
        var weights = CheckpointFormat.ReadFloats(reader, userItems.Length);
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        CheckpointFormat.ReadEnd(reader);
        InteractionMatrix matrix;
        try
        {
            matrix = InteractionMatrix.FromUserRows(users, items, offsets, userItems, weights);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Corrupt checkpoint: {e.Message}", e);
        }
        return new Graph(matrix, popularity);
    }

    public void Dispose() => _graph = null;
}
