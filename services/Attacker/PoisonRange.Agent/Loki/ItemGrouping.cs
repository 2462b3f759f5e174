using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using PoisonRange.Data;

namespace PoisonRange.Agent.Loki;

/// <summary>
/// Options of <see cref="ItemGrouping"/> (LOKI §3.4.1). The paper fixes neither c nor the NMF
/// rank; the defaults here are ours.
/// </summary>
public sealed record ItemGroupingOptions
{
    /// <summary>Defaults, as named constants for documentation and binding.</summary>
    public static class Defaults
    {
        public const int Groups = 20;
        public const int Rank = 16;
        public const int NmfIterations = 200;
        public const double NmfTolerance = 1e-4;
        public const int KMeansIterations = 100;
        public const int KMeansRestarts = 3;
    }

    /// <summary>c: clusters of non-target items; the target items form one more group.</summary>
    public int Groups { get; init; } = Defaults.Groups;

    /// <summary>Components of the non-negative factorisation (length of an item's feature vector).</summary>
    public int Rank { get; init; } = Defaults.Rank;

    /// <summary>Most multiplicative-update iterations of the factorisation.</summary>
    public int NmfIterations { get; init; } = Defaults.NmfIterations;

    /// <summary>The factorisation stops when an iteration lowers the squared error by less than this fraction.</summary>
    public double NmfTolerance { get; init; } = Defaults.NmfTolerance;

    /// <summary>Most Lloyd iterations per K-means run.</summary>
    public int KMeansIterations { get; init; } = Defaults.KMeansIterations;

    /// <summary>K-means runs from different k-means++ seeds; the lowest inertia wins.</summary>
    public int KMeansRestarts { get; init; } = Defaults.KMeansRestarts;

    /// <summary>Scale each item's feature vector to unit length before clustering, so groups follow
    /// who consumes an item rather than how often it is consumed.</summary>
    public bool NormalizeFeatures { get; init; } = true;

    public ulong Seed { get; init; } = 1;

    /// <summary>Worker threads; results are identical for any thread count.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message naming the option.</summary>
    public void Validate()
    {
        Check(Groups >= 1, $"groups must be at least 1, got {Groups}.");
        Check(Rank is >= 1 and <= 1024, $"nmf rank must be in 1..1024, got {Rank}.");
        Check(NmfIterations >= 1, $"nmf iterations must be at least 1, got {NmfIterations}.");
        Check(double.IsFinite(NmfTolerance) && NmfTolerance >= 0, $"nmf tolerance must be a non-negative number, got {NmfTolerance.ToString(CultureInfo.InvariantCulture)}.");
        Check(KMeansIterations >= 1, $"k-means iterations must be at least 1, got {KMeansIterations}.");
        Check(KMeansRestarts >= 1, $"k-means restarts must be at least 1, got {KMeansRestarts}.");
        Check(Threads >= 1, $"threads must be at least 1, got {Threads}.");
    }

    private static void Check(bool ok, string message)
    {
        if (!ok) throw new ArgumentException(message);
    }
}

/// <summary>Why the factorisation stopped, its cost and the clustering's inertia.</summary>
public sealed record ItemGroupingReport(
    int NmfIterations,
    bool NmfConverged,
    double NmfRelativeError,
    double KMeansInertia,
    int KMeansIterations,
    TimeSpan NmfTime,
    TimeSpan KMeansTime);

/// <summary>
/// The coarse action space of the LOKI agent: groups of items, one of which holds exactly the
/// target items. Every group is non-empty and no item is in two groups; items of the catalogue
/// outside every group are never used by the agent.
/// </summary>
public sealed class ItemGroups
{
    private readonly int[][] _members;
    private readonly int[] _groupOf;

    /// <param name="itemCount">Catalogue size (dense item indices 0..itemCount−1).</param>
    /// <param name="members">Items of each group.</param>
    /// <param name="targetGroup">Index of the group of target items.</param>
    /// <param name="features">Optional per-group feature vectors (equal length) for the Q-network's action representation.</param>
    /// <param name="anchorGroup">Index of the group of anchor items, or −1 when there is none.</param>
    public ItemGroups(int itemCount, IReadOnlyList<IReadOnlyList<int>> members, int targetGroup, IReadOnlyList<float[]>? features = null, ItemGroupingReport? report = null, int anchorGroup = -1)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (itemCount < 1) throw new ArgumentException($"The catalogue must have at least one item, got {itemCount}.");
        if (members.Count < 1) throw new ArgumentException("At least one item group is required.");
        if ((uint)targetGroup >= (uint)members.Count) throw new ArgumentException($"Target group {targetGroup} is outside 0..{members.Count - 1}.");
        if (anchorGroup != -1 && ((uint)anchorGroup >= (uint)members.Count || anchorGroup == targetGroup))
            throw new ArgumentException($"Anchor group {anchorGroup} must be −1 or a group other than the target group within 0..{members.Count - 1}.");
        _groupOf = new int[itemCount];
        Array.Fill(_groupOf, -1);
        _members = new int[members.Count][];
        for (int g = 0; g < members.Count; g++)
        {
            var list = members[g] ?? throw new ArgumentException($"Group {g} is null.");
            if (list.Count == 0) throw new ArgumentException($"Group {g} is empty; every group needs at least one item.");
            _members[g] = list.ToArray();
            foreach (var item in _members[g])
            {
                if ((uint)item >= (uint)itemCount) throw new ArgumentException($"Group {g} holds item index {item}, outside the catalogue (0..{itemCount - 1}).");
                if (_groupOf[item] >= 0) throw new ArgumentException($"Item index {item} is in groups {_groupOf[item]} and {g}.");
                _groupOf[item] = g;
            }
        }
        if (features is not null)
        {
            if (features.Count != members.Count) throw new ArgumentException($"{features.Count} feature vectors for {members.Count} groups.");
            int length = features[0]?.Length ?? throw new ArgumentException("Group 0 has no feature vector.");
            for (int g = 0; g < features.Count; g++)
                if (features[g] is null || features[g].Length != length || features[g].Any(v => !float.IsFinite(v)))
                    throw new ArgumentException($"Feature vector of group {g} is missing, of another length or not finite.");
            Features = features.Select(f => f.ToArray()).ToArray();
        }
        ItemCount = itemCount;
        TargetGroup = targetGroup;
        AnchorGroup = anchorGroup;
        Report = report;
    }

    public int ItemCount { get; }

    /// <summary>Number of groups, the target group included (c + 1 after <see cref="ItemGrouping.Compute"/>, c + 2 with anchors).</summary>
    public int Count => _members.Length;

    public int TargetGroup { get; }

    /// <summary>The group of anchor items (see <see cref="ItemGrouping.Compute"/>), or −1 when there is none.</summary>
    public int AnchorGroup { get; }

    /// <summary>The items of group <paramref name="group"/>.</summary>
    public IReadOnlyList<int> Members(int group) => _members[group];

    /// <summary>Group of <paramref name="item"/>, or −1 when it is in none.</summary>
    public int GroupOf(int item) => _groupOf[item];

    /// <summary>Per-group features for the Q-network (may be null).</summary>
    public IReadOnlyList<float[]>? Features { get; }

    /// <summary>Statistics of the grouping run (null for groups built by hand).</summary>
    public ItemGroupingReport? Report { get; }

    internal int[] MembersArray(int group) => _members[group];
}

/// <summary>
/// LOKI's item grouping (§3.4.1): non-negative matrix factorisation X ≈ W·H of the binary
/// user-item matrix of the crawled view (Lee–Seung multiplicative updates for the squared error,
/// computed over the non-zeros only, so the cost per iteration is O(nnz·r + (U + I)·r²)); the
/// columns of H are the item features; K-means (k-means++ seeding, Lloyd iterations, best of a
/// few restarts) splits the non-target items into c groups; the target items form group c.
/// Deterministic for a seed, whatever the thread count.
/// </summary>
public static class ItemGrouping
{
    private const double DivisionFloor = 1e-12;

    /// <summary>
    /// Groups the catalogue of <paramref name="view"/>; the last group holds <paramref name="targetItems"/>.
    /// When <paramref name="anchorItems"/> is given (an extension beyond LOKI §3.4.1: for instance the
    /// target users' most recent items), those of them that are not targets form one more group of
    /// their own, just before the target group, and are left out of the clustering.
    /// </summary>
    /// <exception cref="ArgumentException">Bad options, bad targets or anchors, or more groups than items to cluster.</exception>
    public static ItemGroups Compute(InteractionDataset view, IReadOnlyList<int> targetItems, ItemGroupingOptions options, CancellationToken cancellationToken = default, IReadOnlyList<int>? anchorItems = null)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(targetItems);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int items = view.ItemCount;
        if (targetItems.Count == 0) throw new ArgumentException("At least one target item is required for the target group.");
        var isTarget = new bool[items];
        foreach (var t in targetItems)
        {
            if ((uint)t >= (uint)items) throw new ArgumentException($"Target item index {t} is outside the catalogue (0..{items - 1}).");
            if (isTarget[t]) throw new ArgumentException($"Target item index {t} is given twice.");
            isTarget[t] = true;
        }
        var isAnchor = new bool[items];
        var anchors = new List<int>();
        foreach (var a in anchorItems ?? [])
        {
            if ((uint)a >= (uint)items) throw new ArgumentException($"Anchor item index {a} is outside the catalogue (0..{items - 1}).");
            if (!isTarget[a] && !isAnchor[a])
            {
                isAnchor[a] = true;
                anchors.Add(a);
            }
        }
        int others = items - targetItems.Count - anchors.Count;
        if (options.Groups > others)
            throw new ArgumentException($"groups = {options.Groups} is too large: the catalogue has {items} items of which {targetItems.Count} are targets{(anchors.Count > 0 ? $" and {anchors.Count} anchors" : "")}, leaving {others} to cluster.");

        var nmfClock = Stopwatch.StartNew();
        var nmf = Factorize(view, options, cancellationToken);
        nmfClock.Stop();

        int rank = options.Rank;
        var candidates = Enumerable.Range(0, items).Where(i => !isTarget[i] && !isAnchor[i]).ToArray();
        var points = new double[candidates.Length * rank];
        for (int n = 0; n < candidates.Length; n++)
        {
            var row = points.AsSpan(n * rank, rank);
            nmf.ItemFactors.AsSpan(candidates[n] * rank, rank).CopyTo(row);
            if (options.NormalizeFeatures) Normalize(row);
        }

        var kmeansClock = Stopwatch.StartNew();
        var clustering = KMeans(points, rank, options.Groups, options, cancellationToken);
        kmeansClock.Stop();

        int targetGroup = options.Groups + (anchors.Count > 0 ? 1 : 0);
        var members = new List<int>[targetGroup + 1];
        for (int g = 0; g < members.Length; g++) members[g] = [];
        for (int n = 0; n < candidates.Length; n++) members[clustering.Assignment[n]].Add(candidates[n]);
        if (anchors.Count > 0) members[options.Groups].AddRange(anchors);
        members[targetGroup].AddRange(targetItems);

        var features = BuildFeatures(nmf.ItemFactors, rank, members, options.NormalizeFeatures);
        var report = new ItemGroupingReport(nmf.Iterations, nmf.Converged, nmf.RelativeError, clustering.Inertia, clustering.Iterations, nmfClock.Elapsed, kmeansClock.Elapsed);
        return new ItemGroups(items, members, targetGroup, features, report, anchors.Count > 0 ? options.Groups : -1);
    }

    /// <summary>Result of <see cref="Factorize"/>: row-major W (users × r) and item factors Hᵀ (items × r).</summary>
    public sealed record NmfResult(double[] UserFactors, double[] ItemFactors, int Rank, int Iterations, bool Converged, double RelativeError);

    /// <summary>
    /// Non-negative factorisation of the binary user-item matrix (an entry is 1 when the user has
    /// the item at least once). Stops after <see cref="ItemGroupingOptions.NmfIterations"/> or when
    /// the squared error falls by less than <see cref="ItemGroupingOptions.NmfTolerance"/> of itself.
    /// </summary>
    public static NmfResult Factorize(InteractionDataset view, ItemGroupingOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int users = view.UserCount, items = view.ItemCount, r = options.Rank;

        // Distinct pairs by user (CSR) and by item (CSC).
        var byUser = new int[users][];
        long nnz = 0;
        for (int u = 0; u < users; u++)
        {
            var distinct = view.Sequences[u].Distinct().ToArray();
            Array.Sort(distinct);
            byUser[u] = distinct;
            nnz += distinct.Length;
        }
        var itemDegree = new int[items];
        foreach (var row in byUser)
            foreach (var i in row)
                itemDegree[i]++;
        var byItem = new int[items][];
        for (int i = 0; i < items; i++) byItem[i] = new int[itemDegree[i]];
        var fill = new int[items];
        for (int u = 0; u < users; u++)
            foreach (var i in byUser[u])
                byItem[i][fill[i]++] = u;

        var rng = new SeededRandom(options.Seed);
        double scale = nnz == 0 ? 0.1 : Math.Sqrt(nnz / ((double)users * items) / r);
        var w = new double[users * r];
        var h = new double[items * r];
        for (int k = 0; k < w.Length; k++) w[k] = scale * Math.Abs(rng.NextGaussian());
        for (int k = 0; k < h.Length; k++) h[k] = scale * Math.Abs(rng.NextGaussian());
        if (nnz == 0) return new NmfResult(w, h, r, 0, true, 0);

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads, CancellationToken = cancellationToken };
        var gram = new double[r * r];
        var wGram = new double[r * r];
        var userCross = new double[users];
        double previous = double.PositiveInfinity, error = double.NaN;
        int iteration = 0;
        bool converged = false;
        while (iteration < options.NmfIterations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            iteration++;
            // H ← H ∘ (WᵀX) / (WᵀW·H), one item row at a time.
            Gram(w, users, r, gram);
            Parallel.For(0, items, parallel, () => new double[2 * r], (i, _, buffer) =>
            {
                UpdateRow(h.AsSpan(i * r, r), byItem[i], w, gram, r, buffer);
                return buffer;
            }, _ => { });
            // W ← W ∘ (XHᵀ) / (W·HHᵀ), one user row at a time.
            Gram(h, items, r, gram);
            Parallel.For(0, users, parallel, () => new double[2 * r], (u, _, buffer) =>
            {
                userCross[u] = UpdateRow(w.AsSpan(u * r, r), byUser[u], h, gram, r, buffer);
                return buffer;
            }, _ => { });

            // ‖X − WH‖² = nnz − 2·Σ_(u,i) w_u·h_i + ⟨WᵀW, HHᵀ⟩ (gram holds HHᵀ now); the W update
            // left w_u·Σ_(i∈u) h_i for each user in userCross, so no extra pass over the non-zeros.
            Gram(w, users, r, wGram);
            double cross = 0;
            for (int u = 0; u < users; u++) cross += userCross[u];
            double squared = Math.Max(0, nnz - 2 * cross + TensorPrimitives.Dot<double>(wGram, gram));
            error = squared;
            if (double.IsFinite(previous) && previous - squared <= options.NmfTolerance * previous)
            {
                converged = true;
                break;
            }
            previous = squared;
        }
        return new NmfResult(w, h, r, iteration, converged, Math.Sqrt(error / nnz));
    }

    /// <summary>
    /// row ∘= (Σ_j other_j) / (row·gram), for the non-zeros <paramref name="neighbours"/> of the row;
    /// returns the updated row's dot product with Σ_j other_j.
    /// </summary>
    private static double UpdateRow(Span<double> row, int[] neighbours, double[] other, double[] gram, int r, double[] buffer)
    {
        var numerator = buffer.AsSpan(0, r);
        var denominator = buffer.AsSpan(r, r);
        numerator.Clear();
        foreach (var j in neighbours) TensorPrimitives.Add<double>(numerator, other.AsSpan(j * r, r), numerator);
        denominator.Clear();
        for (int a = 0; a < r; a++)
            if (row[a] != 0) TensorPrimitives.MultiplyAdd<double>(gram.AsSpan(a * r, r), row[a], denominator, denominator);
        for (int a = 0; a < r; a++) row[a] *= numerator[a] / Math.Max(denominator[a], DivisionFloor);
        return TensorPrimitives.Dot<double>(row, numerator);
    }

    /// <summary>gram = Mᵀ·M for a row-major matrix M (rows × r).</summary>
    private static void Gram(double[] m, int rows, int r, double[] gram)
    {
        Array.Clear(gram);
        for (int n = 0; n < rows; n++)
        {
            var row = m.AsSpan(n * r, r);
            for (int a = 0; a < r; a++)
                if (row[a] != 0) TensorPrimitives.MultiplyAdd<double>(row, row[a], gram.AsSpan(a * r, r), gram.AsSpan(a * r, r));
        }
    }

    private static void Normalize(Span<double> row)
    {
        double norm = TensorPrimitives.Norm<double>(row);
        if (norm > 0) TensorPrimitives.Divide<double>(row, norm, row);
    }

    /// <summary>K-means result: the cluster of each point, the centres (k × dimension), the inertia.</summary>
    public sealed record KMeansResult(int[] Assignment, double[] Centers, double Inertia, int Iterations);

    /// <summary>
    /// K-means of <paramref name="points"/> (n × <paramref name="dimension"/>, row-major) into
    /// <paramref name="k"/> non-empty clusters: k-means++ seeding, Lloyd iterations until no point
    /// moves, an empty cluster takes the point farthest from its centre; the best of
    /// <see cref="ItemGroupingOptions.KMeansRestarts"/> runs by inertia.
    /// </summary>
    public static KMeansResult KMeans(double[] points, int dimension, int k, ItemGroupingOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(options);
        if (dimension < 1 || points.Length % dimension != 0) throw new ArgumentException($"{points.Length} values are not whole points of dimension {dimension}.");
        int n = points.Length / dimension;
        if (k < 1 || k > n) throw new ArgumentException($"Cannot make {k} non-empty clusters of {n} points.");
        KMeansResult? best = null;
        for (int restart = 0; restart < options.KMeansRestarts; restart++)
        {
            var run = KMeansOnce(points, dimension, n, k, SeededRandom.Derive(options.Seed ^ 0x6B6D65616E73UL, (ulong)restart), options, cancellationToken);
            if (best is null || run.Inertia < best.Inertia) best = run;
        }
        return best!;
    }

    private static KMeansResult KMeansOnce(double[] points, int d, int n, int k, SeededRandom rng, ItemGroupingOptions options, CancellationToken cancellationToken)
    {
        var centers = SeedPlusPlus(points, d, n, k, rng);
        var assignment = new int[n];
        Array.Fill(assignment, -1);
        var distance = new double[n];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads, CancellationToken = cancellationToken };
        int iterations = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            iterations++;
            int moved = 0;
            Parallel.For(0, n, parallel, () => 0, (p, _, local) =>
            {
                var point = points.AsSpan(p * d, d);
                int bestCluster = 0;
                double bestDistance = double.PositiveInfinity;
                for (int c = 0; c < k; c++)
                {
                    double dist = SquaredDistance(point, centers.AsSpan(c * d, d));
                    if (dist < bestDistance)
                    {
                        bestDistance = dist;
                        bestCluster = c;
                    }
                }
                distance[p] = bestDistance;
                if (assignment[p] != bestCluster)
                {
                    assignment[p] = bestCluster;
                    local++;
                }
                return local;
            }, local => Interlocked.Add(ref moved, local));

            FillEmptyClusters(assignment, distance, k);
            Recenter(points, d, n, k, assignment, centers);
            if (moved == 0 || iterations >= options.KMeansIterations) break;
        }
        double inertia = 0;
        for (int p = 0; p < n; p++)
        {
            distance[p] = SquaredDistance(points.AsSpan(p * d, d), centers.AsSpan(assignment[p] * d, d));
            inertia += distance[p];
        }
        return new KMeansResult(assignment, centers, inertia, iterations);
    }

    /// <summary>k-means++ (Arthur and Vassilvitskii 2007): each next centre drawn with probability ∝ D².</summary>
    private static double[] SeedPlusPlus(double[] points, int d, int n, int k, SeededRandom rng)
    {
        var centers = new double[k * d];
        var chosen = new bool[n];
        var nearest = new double[n];
        Array.Fill(nearest, double.PositiveInfinity);
        int first = rng.Next(n);
        for (int c = 0; c < k; c++)
        {
            int pick;
            if (c == 0) pick = first;
            else
            {
                double total = 0;
                for (int p = 0; p < n; p++) total += chosen[p] ? 0 : nearest[p];
                if (total > 0)
                {
                    double u = rng.NextDouble() * total;
                    pick = -1;
                    for (int p = 0; p < n; p++)
                    {
                        if (chosen[p]) continue;
                        pick = p;
                        u -= nearest[p];
                        if (u < 0) break;
                    }
                }
                else
                {
                    // Every remaining point sits on a centre: any unchosen one will do.
                    int remaining = n - c, skip = rng.Next(remaining);
                    pick = -1;
                    for (int p = 0; p < n; p++)
                        if (!chosen[p] && skip-- == 0)
                        {
                            pick = p;
                            break;
                        }
                }
            }
            chosen[pick] = true;
            points.AsSpan(pick * d, d).CopyTo(centers.AsSpan(c * d, d));
            var center = centers.AsSpan(c * d, d);
            for (int p = 0; p < n; p++) nearest[p] = Math.Min(nearest[p], SquaredDistance(points.AsSpan(p * d, d), center));
        }
        return centers;
    }

    /// <summary>Gives every empty cluster the point farthest from its centre among clusters with more than one point.</summary>
    private static void FillEmptyClusters(int[] assignment, double[] distance, int k)
    {
        var sizes = new int[k];
        foreach (var a in assignment) sizes[a]++;
        for (int c = 0; c < k; c++)
        {
            if (sizes[c] > 0) continue;
            int farthest = -1;
            for (int p = 0; p < assignment.Length; p++)
                if (sizes[assignment[p]] > 1 && (farthest < 0 || distance[p] > distance[farthest])) farthest = p;
            sizes[assignment[farthest]]--;
            assignment[farthest] = c;
            distance[farthest] = 0;
            sizes[c] = 1;
        }
    }

    private static void Recenter(double[] points, int d, int n, int k, int[] assignment, double[] centers)
    {
        var sizes = new int[k];
        Array.Clear(centers);
        for (int p = 0; p < n; p++)
        {
            int c = assignment[p];
            sizes[c]++;
            TensorPrimitives.Add<double>(centers.AsSpan(c * d, d), points.AsSpan(p * d, d), centers.AsSpan(c * d, d));
        }
        for (int c = 0; c < k; c++)
            TensorPrimitives.Divide<double>(centers.AsSpan(c * d, d), sizes[c], centers.AsSpan(c * d, d));
    }

    private static double SquaredDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int j = 0; j < a.Length; j++)
        {
            double diff = a[j] - b[j];
            sum += diff * diff;
        }
        return sum;
    }

    /// <summary>Per group: the mean (normalised) item feature vector followed by log(1 + size).</summary>
    private static float[][] BuildFeatures(double[] itemFactors, int rank, List<int>[] members, bool normalize)
    {
        var result = new float[members.Length][];
        var row = new double[rank];
        for (int g = 0; g < members.Length; g++)
        {
            var mean = new double[rank];
            foreach (var item in members[g])
            {
                itemFactors.AsSpan(item * rank, rank).CopyTo(row);
                if (normalize) Normalize(row);
                TensorPrimitives.Add<double>(mean, row, mean);
            }
            var f = new float[rank + 1];
            for (int a = 0; a < rank; a++) f[a] = (float)(mean[a] / members[g].Count);
            f[rank] = (float)Math.Log(1 + members[g].Count);
            result[g] = f;
        }
        return result;
    }
}
