using PoisonRange.Data;
using PoisonRange.Recommenders;

namespace PoisonRange.Simulator;

/// <summary>
/// One probe: a history recorded for a fresh platform account (sampled from a crawled user's
/// training sequence) and the platform's top-K for it. Ids are the simulator's internal ids.
/// </summary>
/// <param name="SourceUser">The crawled user whose sequence the history was taken from.</param>
/// <param name="AccountId">The platform account the probe used.</param>
/// <param name="HeldOut">Held out from fitting; used only for the agreement figures.</param>
public sealed record Probe(int SourceUser, string AccountId, int[] History, int[] PlatformTopK, bool HeldOut);

/// <summary>
/// The local models' answers to a set of probes: each model's top-<see cref="Depth"/> list for
/// each probe history (history excluded, as the platform does), and each model's Kendall tau
/// distance and overlap@K to the platform's top-K.
/// </summary>
public sealed class ProbeScores
{
    private ProbeScores(IReadOnlyList<string> kinds, IReadOnlyList<Probe> probes, int k, int depth, int[][][] lists)
    {
        Kinds = kinds;
        Probes = probes;
        K = k;
        Depth = depth;
        Lists = lists;
        Distance = new double[probes.Count, kinds.Count];
        Overlap = new double[probes.Count, kinds.Count];
        for (int p = 0; p < probes.Count; p++)
            for (int m = 0; m < kinds.Count; m++)
            {
                var top = Lists[p][m].AsSpan(0, Math.Min(k, Lists[p][m].Length)).ToArray();
                Distance[p, m] = Metrics.KendallTauTopK(probes[p].PlatformTopK, top);
                Overlap[p, m] = Metrics.OverlapAtK(probes[p].PlatformTopK, top);
            }
    }

    public IReadOnlyList<string> Kinds { get; }
    public IReadOnlyList<Probe> Probes { get; }
    public int K { get; }
    public int Depth { get; }

    /// <summary>[probe][model]: the model's top-Depth list for the probe history, best first.</summary>
    public int[][][] Lists { get; }

    /// <summary>[probe, model]: normalised Kendall tau distance (Fagin p = 0.5) between the platform's and the model's top-K.</summary>
    public double[,] Distance { get; }

    /// <summary>[probe, model]: overlap@K between the platform's and the model's top-K.</summary>
    public double[,] Overlap { get; }

    /// <summary>Ranks every probe history with every model (in parallel over probes, <paramref name="threads"/> at once).</summary>
    public static ProbeScores Compute(
        IReadOnlyList<(string Kind, IRecommender Model)> models,
        IReadOnlyList<Probe> probes,
        int k,
        int depth,
        int threads = 1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(probes);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, k);
        var lists = new int[probes.Count][][];
        Parallel.For(0, probes.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken }, p =>
        {
            lists[p] = new int[models.Count][];
            for (int m = 0; m < models.Count; m++)
                lists[p][m] = Rank(models[m].Model, probes[p].History, depth);
        });
        return new ProbeScores(models.Select(m => m.Kind).ToArray(), probes, k, depth, lists);
    }

    /// <summary>A model's top-<paramref name="depth"/> for an unseen history, the history's items excluded.</summary>
    public static int[] Rank(IRecommender model, ReadOnlySpan<int> history, int depth)
    {
        var buffer = new int[Math.Min(depth, model.ItemCount)];
        int n = model.RecommendHistory(history, excludeHistory: true, buffer);
        return n == buffer.Length ? buffer : buffer[..n];
    }

    /// <summary>The ensemble's top-K for probe <paramref name="probe"/> under <paramref name="weights"/>.</summary>
    public int[] EnsembleTopK(int probe, ReadOnlySpan<double> weights) => EnsembleVote.TopK(Lists[probe], weights, Depth, K);

    /// <summary>Mean distance of each model over the probes <paramref name="indices"/>.</summary>
    public double[] MeanDistance(IReadOnlyList<int> indices) => Mean(Distance, indices);

    /// <summary>Mean overlap@K of each model over the probes <paramref name="indices"/>.</summary>
    public double[] MeanOverlap(IReadOnlyList<int> indices) => Mean(Overlap, indices);

    /// <summary>Mean Kendall tau distance and overlap@K of the ensemble under <paramref name="weights"/> over <paramref name="indices"/>.</summary>
    public (double Kendall, double Overlap) EnsembleAgreement(IReadOnlyList<int> indices, ReadOnlySpan<double> weights)
    {
        if (indices.Count == 0) return (double.NaN, double.NaN);
        double kendall = 0, overlap = 0;
        foreach (var p in indices)
        {
            var top = EnsembleTopK(p, weights);
            kendall += Metrics.KendallTauTopK(Probes[p].PlatformTopK, top);
            overlap += Metrics.OverlapAtK(Probes[p].PlatformTopK, top);
        }
        return (kendall / indices.Count, overlap / indices.Count);
    }

    private double[] Mean(double[,] values, IReadOnlyList<int> indices)
    {
        var mean = new double[Kinds.Count];
        if (indices.Count == 0)
        {
            Array.Fill(mean, double.NaN);
            return mean;
        }
        foreach (var p in indices)
            for (int m = 0; m < mean.Length; m++)
                mean[m] += values[p, m];
        for (int m = 0; m < mean.Length; m++) mean[m] /= indices.Count;
        return mean;
    }
}
