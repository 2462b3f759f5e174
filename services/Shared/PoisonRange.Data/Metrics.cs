namespace PoisonRange.Data;

/// <summary>
/// Ranking and attack metrics; each function's documentation is the definition every service
/// uses. A "ranking" is a list of item ids, best first; a "top-K list" is a ranking already cut to K.
/// </summary>
public static class Metrics
{
    /// <summary>0-based position of <paramref name="item"/> in <paramref name="ranking"/>, or -1.</summary>
    public static int RankOf(ReadOnlySpan<int> ranking, int item) => ranking.IndexOf(item);

    /// <summary>HR@K for one held-out item: 1 when it is among the first <paramref name="k"/> of the ranking, else 0.</summary>
    public static double HitRatio(ReadOnlySpan<int> ranking, int heldOutItem, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        int r = ranking[..Math.Min(k, ranking.Length)].IndexOf(heldOutItem);
        return r >= 0 ? 1.0 : 0.0;
    }

    /// <summary>NDCG@K for one held-out item: 1 / log2(position + 2) when it is in the top <paramref name="k"/> (position 0-based), else 0.</summary>
    public static double Ndcg(ReadOnlySpan<int> ranking, int heldOutItem, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        int r = ranking[..Math.Min(k, ranking.Length)].IndexOf(heldOutItem);
        return r >= 0 ? 1.0 / Math.Log2(r + 2) : 0.0;
    }

    /// <summary>
    /// NDCG@K for a set of relevant items (binary relevance): DCG of the top <paramref name="k"/>
    /// divided by the DCG of an ideal ranking. NaN when <paramref name="relevant"/> is empty.
    /// </summary>
    public static double Ndcg(ReadOnlySpan<int> ranking, ReadOnlySpan<int> relevant, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var set = new HashSet<int>(relevant.Length);
        foreach (var r in relevant) set.Add(r);
        if (set.Count == 0) return double.NaN;
        int top = Math.Min(k, ranking.Length);
        double dcg = 0;
        for (int i = 0; i < top; i++) if (set.Contains(ranking[i])) dcg += 1.0 / Math.Log2(i + 2);
        double ideal = 0;
        for (int i = 0; i < Math.Min(k, set.Count); i++) ideal += 1.0 / Math.Log2(i + 2);
        return ideal > 0 ? dcg / ideal : 0;
    }

    /// <summary>
    /// Recall@K: the fraction of the (distinct) relevant items found in the top
    /// <paramref name="k"/> of the ranking. NaN when <paramref name="relevant"/> is empty:
    /// skip such users when averaging.
    /// </summary>
    public static double Recall(ReadOnlySpan<int> ranking, ReadOnlySpan<int> relevant, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var set = new HashSet<int>(relevant.Length);
        foreach (var r in relevant) set.Add(r);
        if (set.Count == 0) return double.NaN;
        int top = Math.Min(k, ranking.Length);
        int found = 0;
        for (int i = 0; i < top; i++) if (set.Remove(ranking[i])) found++;
        return found / (double)(found + set.Count);
    }

    /// <summary>
    /// Display rate (LOKI §4.1, "Evaluation metric"): the fraction of target users whose top-K
    /// list contains at least one target item.
    /// </summary>
    /// <remarks>
    /// The definitions, decided once for every caller (the platform's Referee Evaluate among them):
    /// <list type="bullet">
    /// <item>Targets are sets: a user or an item given twice counts once.</item>
    /// <item>An empty target-user set or an empty target-item set is an error
    /// (<see cref="ArgumentException"/>), not a rate of 0 or NaN.</item>
    /// <item><paramref name="targetUsers"/> index into <paramref name="topKPerUser"/>; the lists are
    /// the users' recommendations with their own interactions already masked.</item>
    /// </list>
    /// </remarks>
    public static double DisplayRate(IReadOnlyList<int[]> topKPerUser, IEnumerable<int> targetUsers, IEnumerable<int> targetItems)
    {
        ArgumentNullException.ThrowIfNull(topKPerUser);
        var users = TargetSet(targetUsers, nameof(targetUsers), "user");
        var items = TargetSet(targetItems, nameof(targetItems), "item");
        int hits = 0;
        foreach (var u in users)
        {
            if ((uint)u >= (uint)topKPerUser.Count)
                throw new ArgumentOutOfRangeException(nameof(targetUsers), u, $"Target user {u} is outside 0..{topKPerUser.Count - 1}.");
            foreach (var item in topKPerUser[u])
            {
                if (items.Contains(item))
                {
                    hits++;
                    break;
                }
            }
        }
        return hits / (double)users.Count;
    }

    /// <summary>
    /// HR_t@K for one target item (Huang et al. §V.A, "Evaluation Metrics"): the fraction of
    /// eligible users whose top-K list contains <paramref name="targetItem"/>. Without
    /// <paramref name="histories"/> every user is eligible; with them (per user, parallel to
    /// <paramref name="topKPerUser"/>), users who already interacted with the item are not.
    /// NaN when no user is eligible.
    /// </summary>
    public static double ItemHitRatio(IReadOnlyList<int[]> topKPerUser, int targetItem, IReadOnlyList<int[]>? histories = null)
    {
        CheckHistories(topKPerUser, histories);
        return CountItemHits(topKPerUser, targetItem, histories).Ratio;
    }

    /// <summary>
    /// HR_t@K averaged over the target items (Huang's HR@K, Fang's hit ratio); see
    /// <see cref="ItemHitRatios"/> for the definitions. NaN when no item has an eligible user.
    /// </summary>
    public static double MeanItemHitRatio(IReadOnlyList<int[]> topKPerUser, IEnumerable<int> targetItems, IReadOnlyList<int[]>? histories = null)
        => ItemHitRatios(topKPerUser, targetItems, histories).Mean;

    /// <summary>
    /// HR_t@K of every target item and their mean (Huang et al. §V.A: HR_t@K per item, HR@K their
    /// average over the target items).
    /// </summary>
    /// <remarks>
    /// The definitions, decided once for every caller (the platform's Referee Evaluate among them):
    /// <list type="bullet">
    /// <item>The eligible users of item t are the users who have not interacted with t (all users
    /// when <paramref name="histories"/> is null); HR_t@K is hits over eligible users.</item>
    /// <item>Target items are a set: an item given twice counts once, in the order first given.</item>
    /// <item>An item with no eligible user (every user already interacted with it) has no HR_t@K:
    /// it is left out of the mean and listed in <see cref="ItemHitRatioSet.Excluded"/>.</item>
    /// <item>The mean is the plain average over the remaining items, summed in the order given;
    /// NaN when every item was left out.</item>
    /// <item>An empty target-item set is an error (<see cref="ArgumentException"/>).</item>
    /// </list>
    /// </remarks>
    public static ItemHitRatioSet ItemHitRatios(IReadOnlyList<int[]> topKPerUser, IEnumerable<int> targetItems, IReadOnlyList<int[]>? histories = null)
    {
        CheckHistories(topKPerUser, histories);
        var items = TargetList(targetItems, nameof(targetItems), "item");
        var counted = new List<ItemHits>(items.Count);
        var excluded = new List<int>();
        double sum = 0;
        foreach (var t in items)
        {
            var hits = CountItemHits(topKPerUser, t, histories);
            if (hits.Eligible == 0)
            {
                excluded.Add(t);
                continue;
            }
            counted.Add(hits);
            sum += hits.Ratio;
        }
        return new ItemHitRatioSet(counted.Count == 0 ? double.NaN : sum / counted.Count, counted, excluded);
    }

    private static ItemHits CountItemHits(IReadOnlyList<int[]> topKPerUser, int targetItem, IReadOnlyList<int[]>? histories)
    {
        int eligible = 0, hits = 0;
        for (int u = 0; u < topKPerUser.Count; u++)
        {
            if (histories is not null && Array.IndexOf(histories[u], targetItem) >= 0) continue;
            eligible++;
            if (Array.IndexOf(topKPerUser[u], targetItem) >= 0) hits++;
        }
        return new ItemHits(targetItem, eligible, hits);
    }

    private static void CheckHistories(IReadOnlyList<int[]> topKPerUser, IReadOnlyList<int[]>? histories)
    {
        ArgumentNullException.ThrowIfNull(topKPerUser);
        if (histories is not null && histories.Count != topKPerUser.Count)
            throw new ArgumentException($"{histories.Count} histories for {topKPerUser.Count} top-K lists.", nameof(histories));
    }

    /// <summary>The distinct targets in the order first given; an empty set is an error.</summary>
    private static List<int> TargetList(IEnumerable<int> targets, string name, string what)
    {
        ArgumentNullException.ThrowIfNull(targets, name);
        var seen = new HashSet<int>();
        var list = new List<int>();
        foreach (var t in targets) if (seen.Add(t)) list.Add(t);
        if (list.Count == 0) throw new ArgumentException($"The target {what} set is empty.", name);
        return list;
    }

    private static HashSet<int> TargetSet(IEnumerable<int> targets, string name, string what)
    {
        ArgumentNullException.ThrowIfNull(targets, name);
        var set = new HashSet<int>(targets);
        if (set.Count == 0) throw new ArgumentException($"The target {what} set is empty.", name);
        return set;
    }

    /// <summary>
    /// Availability (Zhang et al.): per user, the fraction of the pre-attack top-K items still
    /// in the post-attack top-K, averaged over users. 1 means the attack changed nothing.
    /// </summary>
    public static double Availability(IReadOnlyList<int[]> before, IReadOnlyList<int[]> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (before.Count != after.Count)
            throw new ArgumentException($"{before.Count} lists before and {after.Count} after the attack.", nameof(after));
        double sum = 0;
        int n = 0;
        for (int u = 0; u < before.Count; u++)
        {
            if (before[u].Length == 0) continue;
            int kept = 0;
            foreach (var item in before[u]) if (Array.IndexOf(after[u], item) >= 0) kept++;
            sum += kept / (double)before[u].Length;
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>
    /// Overlap@K: |a ∩ b| / max(|a|, |b|) for two top-K lists (1 for two empty lists).
    /// </summary>
    public static double OverlapAtK(int[] a, int[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int k = Math.Max(a.Length, b.Length);
        if (k == 0) return 1.0;
        var set = new HashSet<int>(a);
        int common = 0;
        foreach (var x in b) if (set.Remove(x)) common++;
        return common / (double)k;
    }

    /// <summary>
    /// Kendall tau distance between two top-K lists with the penalty parameter of Fagin, Kumar
    /// and Sivakumar ("Comparing top k lists", 2003), normalised to [0, 1].
    /// Every unordered pair of items from the union of the lists gets a penalty:
    /// both items in both lists: 1 if the lists order them differently;
    /// both in one list, one of them in the other: 1 if the list holding both ranks the other one
    /// (the missing one) higher, else 0;
    /// one only in <paramref name="a"/>, the other only in <paramref name="b"/>: 1;
    /// both only in the same list: <paramref name="p"/>.
    /// The sum is divided by the largest sum possible for the same pairs (1 per pair, p for the
    /// last kind), so identical lists give 0 and both a reversed list and a disjoint list give 1.
    /// (<see cref="KendallTauTopKPenalty"/> returns Fagin's unnormalised K^(p).)
    /// </summary>
    public static double KendallTauTopK(int[] a, int[] b, double p = 0.5)
    {
        var (penalty, max) = KendallPairs(a, b, p);
        if (max > 0) return penalty / max;
        return a.AsSpan().SequenceEqual(b) ? 0.0 : 1.0;
    }

    /// <summary>Fagin et al.'s unnormalised K^(p) distance between two top-K lists (see <see cref="KendallTauTopK"/>).</summary>
    public static double KendallTauTopKPenalty(int[] a, int[] b, double p = 0.5) => KendallPairs(a, b, p).Penalty;

    private static (double Penalty, double Max) KendallPairs(int[] a, int[] b, double p)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "The penalty p must be in [0, 1].");
        var posA = Positions(a, nameof(a));
        var posB = Positions(b, nameof(b));
        var union = new List<int>(a.Length + b.Length);
        union.AddRange(a);
        foreach (var x in b) if (!posA.ContainsKey(x)) union.Add(x);

        int n = union.Count;
        var ra = new int[n];
        var rb = new int[n];
        for (int i = 0; i < n; i++)
        {
            ra[i] = posA.TryGetValue(union[i], out int pa) ? pa : -1;
            rb[i] = posB.TryGetValue(union[i], out int pb) ? pb : -1;
        }

        double penalty = 0, max = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                bool ai = ra[i] >= 0, aj = ra[j] >= 0, bi = rb[i] >= 0, bj = rb[j] >= 0;
                bool bothA = ai && aj, bothB = bi && bj;
                if (bothA && bothB)
                {
                    max += 1;
                    if ((ra[i] < ra[j]) != (rb[i] < rb[j])) penalty += 1;
                }
                else if (bothA && (bi || bj))
                {
                    // The item present in b is implicitly ahead of the absent one in b.
                    max += 1;
                    int present = bi ? i : j, absent = bi ? j : i;
                    if (ra[present] > ra[absent]) penalty += 1;
                }
                else if (bothB && (ai || aj))
                {
                    max += 1;
                    int present = ai ? i : j, absent = ai ? j : i;
                    if (rb[present] > rb[absent]) penalty += 1;
                }
                else if (bothA || bothB)
                {
                    max += p;
                    penalty += p;
                }
                else
                {
                    max += 1;
                    penalty += 1;
                }
            }
        }
        return (penalty, max);
    }

    private static Dictionary<int, int> Positions(int[] list, string name)
    {
        var pos = new Dictionary<int, int>(list.Length);
        for (int i = 0; i < list.Length; i++)
            if (!pos.TryAdd(list[i], i))
                throw new ArgumentException($"Item {list[i]} appears twice in the top-K list.", name);
        return pos;
    }

    /// <summary>Mean and sample standard deviation (n − 1; 0 for a single value; NaN, NaN for none).</summary>
    public static (double Mean, double Std) MeanStd(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        // Welford's online algorithm.
        long n = 0;
        double mean = 0, m2 = 0;
        foreach (var v in values)
        {
            n++;
            double delta = v - mean;
            mean += delta / n;
            m2 += delta * (v - mean);
        }
        if (n == 0) return (double.NaN, double.NaN);
        return (mean, n > 1 ? Math.Sqrt(m2 / (n - 1)) : 0.0);
    }
}

/// <summary>HR_t@K of one target item: <see cref="Hits"/> of its <see cref="Eligible"/> users have it in their top-K.</summary>
public readonly record struct ItemHits(int Item, int Eligible, int Hits)
{
    /// <summary>Hits over eligible users; NaN when no user is eligible.</summary>
    public double Ratio => Eligible == 0 ? double.NaN : Hits / (double)Eligible;
}

/// <summary>
/// The result of <see cref="Metrics.ItemHitRatios"/>: the mean HR_t@K, each counted item in the
/// order given, and the items left out because no user was eligible.
/// </summary>
public sealed record ItemHitRatioSet(double Mean, IReadOnlyList<ItemHits> Items, IReadOnlyList<int> Excluded);
