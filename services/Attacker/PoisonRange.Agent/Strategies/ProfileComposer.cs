using System.Globalization;
using PoisonRange.Data;

namespace PoisonRange.Agent.Strategies;

/// <summary>
/// Shared pieces of profile generation: per-profile random streams, target rotation, filler
/// draws without repeats, timestamps and (for explicit-feedback views) ratings.
/// Parameters read here: <c>targets_per_profile</c>, <c>step_ms</c>, <c>ratings</c> (auto | none).
/// </summary>
public static class ProfileComposer
{
    /// <summary>Start time used when neither the context nor the view gives one (2023-11-14T22:13:20Z).</summary>
    public const long FallbackStartMs = 1_700_000_000_000;

    /// <summary>Default spacing of one profile's actions.</summary>
    public const long DefaultStepMs = 60_000;

    /// <summary>Stable id of profile <paramref name="index"/>: <c>{strategy}-{seed:x}-{index:0000}</c>.</summary>
    public static string ProfileId(string strategy, ulong seed, int index)
        => string.Create(CultureInfo.InvariantCulture, $"{strategy.ToLowerInvariant()}-{seed:x}-{index:D4}");

    /// <summary>The random stream of one profile: profiles do not depend on each other's draws.</summary>
    public static SeededRandom RandomFor(AttackContext ctx, string strategy, int index)
        => SeededRandom.Derive(ctx.Seed ^ StableHash(strategy), (ulong)index);

    /// <summary>
    /// Target items per profile: parameter <c>targets_per_profile</c>, else <paramref name="fallback"/>,
    /// bounded to 1..min(|targets|, M).
    /// </summary>
    public static int TargetsPerProfile(AttackContext ctx, int fallback)
    {
        var k = ctx.GetInt("targets_per_profile", fallback);
        return Math.Clamp(k, 1, Math.Min(ctx.TargetItems.Count, ctx.ActionsPerUser));
    }

    /// <summary>Half the budget for targets (at least one): the default of the co-visitation strategies.</summary>
    public static int HalfBudget(AttackContext ctx) => Math.Max(1, ctx.ActionsPerUser / 2);

    /// <summary>
    /// <paramref name="k"/> targets for profile <paramref name="index"/>, taken cyclically so that
    /// consecutive profiles cover the target list evenly.
    /// </summary>
    public static int[] RotatingTargets(AttackContext ctx, int index, int k)
    {
        var t = ctx.TargetItems;
        var result = new int[Math.Min(k, t.Count)];
        long start = (long)index * result.Length;
        for (int j = 0; j < result.Length; j++) result[j] = t[(int)((start + j) % t.Count)];
        return result;
    }

    /// <summary>
    /// Up to <paramref name="count"/> distinct items drawn uniformly from <paramref name="pool"/>,
    /// skipping (and then adding to) <paramref name="taken"/>.
    /// </summary>
    public static List<int> DrawDistinct(SeededRandom rng, IReadOnlyList<int> pool, int count, HashSet<int> taken)
    {
        var result = new List<int>(Math.Max(0, count));
        if (count <= 0 || pool.Count == 0) return result;
        // Rejection sampling while the pool is mostly free; otherwise a shuffle of what is left.
        if ((long)(count + taken.Count) * 4 < pool.Count)
        {
            int guard = 0;
            while (result.Count < count && guard++ < count * 64)
            {
                var item = pool[rng.Next(pool.Count)];
                if (taken.Add(item)) result.Add(item);
            }
            if (result.Count == count) return result;
        }
        var free = pool.Where(i => !taken.Contains(i)).Distinct().ToArray();
        rng.Shuffle(free);
        foreach (var item in free)
        {
            if (result.Count == count) break;
            if (taken.Add(item)) result.Add(item);
        }
        return result;
    }

    /// <summary>Every catalogue item that is not a target, in index order.</summary>
    public static int[] NonTargetItems(AttackContext ctx)
    {
        var targets = ctx.TargetItems.ToHashSet();
        return Enumerable.Range(0, ctx.View.ItemCount).Where(i => !targets.Contains(i)).ToArray();
    }

    /// <summary>
    /// Turns an ordered item list into a profile: timestamps start + index·1 s + j·step, ratings
    /// for explicit-feedback views (targets at the top rating, others from the view's rating
    /// distribution). Duplicates are dropped and the list is cut to M, as a last guard.
    /// </summary>
    public static FakeProfileSpec Build(AttackContext ctx, string strategy, int index, IReadOnlyList<int> items, SeededRandom rng)
    {
        long step = Math.Max(1, ctx.GetLong("step_ms", DefaultStepMs));
        long start = (ctx.StartTimestampMs ?? DefaultStart(ctx.View, step)) + index * 1000L;
        var ratings = RatingModel.For(ctx);
        var targets = ctx.TargetItems.ToHashSet();
        var seen = new HashSet<int>();
        var actions = new List<FakeAction>(Math.Min(items.Count, ctx.ActionsPerUser));
        foreach (var item in items)
        {
            if (actions.Count == ctx.ActionsPerUser) break;
            if ((uint)item >= (uint)ctx.View.ItemCount || !seen.Add(item)) continue;
            float? rating = ratings is null ? null : targets.Contains(item) ? ratings.Max : ratings.Draw(rng);
            actions.Add(new FakeAction(item, start + actions.Count * step, rating));
        }
        return new FakeProfileSpec(ProfileId(strategy, ctx.Seed, index), actions);
    }

    /// <summary>One step after the view's latest action, so fake actions come after the public history.</summary>
    public static long DefaultStart(InteractionDataset view, long step)
    {
        if (view.Timestamps is null) return FallbackStartMs;
        long max = long.MinValue;
        foreach (var ts in view.Timestamps)
            foreach (var t in ts)
                if (t > max) max = t;
        return max == long.MinValue ? FallbackStartMs : max + step;
    }

    /// <summary>Reports progress every few profiles and at the end.</summary>
    public static void Report(AttackContext ctx, string strategy, int done)
    {
        if (ctx.Progress is null) return;
        if (done == ctx.FakeUsers || done % 64 == 0)
            ctx.Progress.Report(new AttackProgress("generate", done, ctx.FakeUsers, $"{strategy}: {done}/{ctx.FakeUsers} profiles"));
    }

    private static ulong StableHash(string text)
    {
        ulong h = 14695981039346656037UL; // FNV-1a
        foreach (var c in text.ToLowerInvariant())
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return h;
    }
}

/// <summary>
/// Ratings for fake actions when the view has explicit ratings (Huang §V-A): fillers from a normal
/// distribution fitted to the view's ratings, clipped to the observed range and rounded when the
/// view's ratings are whole numbers; targets get the highest observed rating.
/// </summary>
public sealed class RatingModel
{
    private RatingModel(double mean, double std, float min, float max, bool integral)
    {
        Mean = mean;
        StandardDeviation = std;
        Min = min;
        Max = max;
        Integral = integral;
    }

    public double Mean { get; }
    public double StandardDeviation { get; }
    public float Min { get; }
    public float Max { get; }
    public bool Integral { get; }

    /// <summary>The model of the context's view, or null for implicit feedback or <c>ratings=none</c>.</summary>
    public static RatingModel? For(AttackContext ctx)
    {
        var mode = ctx.GetString("ratings") ?? "auto";
        if (mode.Equals("none", StringComparison.OrdinalIgnoreCase)) return null;
        if (!mode.Equals("auto", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Parameter 'ratings' must be auto or none, got '{mode}'.");
        var ratings = ctx.View.Ratings;
        if (ratings is null) return null;
        double sum = 0, sumSq = 0;
        long n = 0;
        float min = float.MaxValue, max = float.MinValue;
        bool integral = true;
        foreach (var row in ratings)
            foreach (var r in row)
            {
                if (!float.IsFinite(r)) continue;
                sum += r;
                sumSq += (double)r * r;
                n++;
                min = Math.Min(min, r);
                max = Math.Max(max, r);
                integral &= r == MathF.Round(r);
            }
        if (n == 0) return null;
        double mean = sum / n;
        double std = Math.Sqrt(Math.Max(0, sumSq / n - mean * mean));
        return new RatingModel(mean, std, min, max, integral);
    }

    public float Draw(SeededRandom rng)
    {
        var r = Math.Clamp(rng.NextGaussian(Mean, StandardDeviation), Min, Max);
        return (float)(Integral ? Math.Round(r, MidpointRounding.AwayFromZero) : r);
    }
}
