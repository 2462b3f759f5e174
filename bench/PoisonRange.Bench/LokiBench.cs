using System.Diagnostics;
using System.Globalization;
using PoisonRange.Agent.Loki;
using PoisonRange.Data;

namespace PoisonRange.Bench;

/// <summary>Benchmarks of the LOKI agent core: item grouping, agent training, the retrain reward.</summary>
internal static class LokiBench
{
    /// <summary>NMF + K-means wall-clock on a dataset (median of repeats) and the grouping's statistics.</summary>
    public static int Groups(BenchArguments arguments)
    {
        string data = arguments.String("data", "ml-1m");
        int threads = arguments.Int("threads", 2);
        int repeats = arguments.Int("repeats", 3);
        int targetsCount = arguments.Int("targets", 20);
        var options = new ItemGroupingOptions
        {
            Groups = arguments.Int("groups", ItemGroupingOptions.Defaults.Groups),
            Rank = arguments.Int("rank", ItemGroupingOptions.Defaults.Rank),
            NmfIterations = arguments.Int("iterations", ItemGroupingOptions.Defaults.NmfIterations),
            Seed = (ulong)arguments.Int("seed", 1),
            Threads = threads,
        };
        if (repeats < 1) throw new ArgumentException($"--repeats must be at least 1, got {repeats}.");

        var load = Stopwatch.StartNew();
        var view = DatasetCatalog.Load(data, dataDirectory: null);
        Console.WriteLine($"dataset  {view} (loaded in {load.Elapsed.TotalSeconds:F1} s)");
        var targets = new SeededRandom(options.Seed).SampleWithoutReplacement(view.ItemCount, Math.Min(targetsCount, view.ItemCount - options.Groups));
        Console.WriteLine($"grouping c={options.Groups} rank={options.Rank} max iterations={options.NmfIterations} tolerance={options.NmfTolerance} " +
                          $"k-means restarts={options.KMeansRestarts} threads={threads} targets={targets.Length}");

        var nmf = new List<double>();
        var kmeans = new List<double>();
        var total = new List<double>();
        ItemGroups? groups = null;
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            groups = ItemGrouping.Compute(view, targets, options);
            clock.Stop();
            var report = groups.Report!;
            nmf.Add(report.NmfTime.TotalSeconds);
            kmeans.Add(report.KMeansTime.TotalSeconds);
            total.Add(clock.Elapsed.TotalSeconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run {r + 1}: total {clock.Elapsed.TotalSeconds:F2} s; NMF {report.NmfTime.TotalSeconds:F2} s ({report.NmfIterations} iterations, converged {report.NmfConverged}, relative error {report.NmfRelativeError:F4}); " +
                $"k-means {report.KMeansTime.TotalSeconds:F3} s ({report.KMeansIterations} iterations, inertia {report.KMeansInertia:F2})"));
        }
        var sizes = Enumerable.Range(0, groups!.Count).Where(g => g != groups.TargetGroup).Select(g => groups.Members(g).Count).Order().ToArray();
        Console.WriteLine($"group sizes (non-target): min {sizes[0]}, median {sizes[sizes.Length / 2]}, max {sizes[^1]}; target group {groups.Members(groups.TargetGroup).Count}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT {view.Name} grouping seconds (median of {repeats}): total {Median(total):F2}, NMF {Median(nmf):F2}, k-means {Median(kmeans):F3}"));
        return 0;
    }

    /// <summary>
    /// The agent on real item groups with the toy reward (share of target items in a profile):
    /// training speed and the greedy policy's target share against a random policy.
    /// </summary>
    public static int Toy(BenchArguments arguments)
    {
        string data = arguments.String("data", "ml-100k");
        int episodes = arguments.Int("episodes", 2000);
        int m = arguments.Int("m", LokiOptions.Defaults.ActionsPerProfile);
        int threads = arguments.Int("threads", 1);
        ulong seed = (ulong)arguments.Int("seed", 1);
        var grouping = new ItemGroupingOptions { Groups = arguments.Int("groups", ItemGroupingOptions.Defaults.Groups), Seed = seed, Threads = 2 };

        var view = DatasetCatalog.Load(data, dataDirectory: null);
        var targets = new SeededRandom(seed).SampleWithoutReplacement(view.ItemCount, 20);
        var groups = ItemGrouping.Compute(view, targets, grouping);
        Console.WriteLine($"dataset  {view}; {groups.Count} groups (c = {grouping.Groups} + targets); M = {m}; episodes {episodes}; threads {threads}");
        var targetSet = targets.ToHashSet();
        var reward = new FunctionProfileReward(ps => ps.Select(p => p.Count(targetSet.Contains) / (double)m).ToArray());
        var options = new LokiOptions { ActionsPerProfile = m, Episodes = episodes, Seed = seed, Threads = threads, Grouping = grouping };

        using var trainer = new LokiTrainer(view, targets, reward, options, groups);
        var clock = Stopwatch.StartNew();
        var result = trainer.TrainAsync(rounds: new SynchronousProgress<LokiRoundStats>(s =>
        {
            if (s.Round % 10 == 0)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"episode {s.Episodes,5}  mean reward {s.MeanReward:F3}  epsilon {s.Epsilon:F3}  loss {s.Loss:G4}  target share {s.TargetShare:F3}  {s.Elapsed.TotalSeconds:F1} s"));
        })).GetAwaiter().GetResult();
        clock.Stop();
        double share = Share(trainer.GenerateProfiles(100), targetSet);
        using var random = new LokiTrainer(view, targets, reward, options with { GenerationEpsilon = 1 }, groups);
        double chance = Share(random.GenerateProfiles(100), targetSet);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT {view.Name} training: {result.Episodes} episodes, {result.GradientSteps} gradient steps in {clock.Elapsed.TotalSeconds:F1} s " +
            $"({clock.Elapsed.TotalMilliseconds / result.Episodes:F2} ms/episode)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT target-item share of 100 profiles: greedy {share:F3}, random policy {chance:F3}"));
        return 0;
    }

    /// <summary>Seconds per profile of the exact retrain reward (LOKI's "retrain" reference, §4.6).</summary>
    public static int Retrain(BenchArguments arguments)
    {
        string data = arguments.String("data", "ml-100k");
        string kind = arguments.String("kind", "bprmf");
        int profiles = arguments.Int("profiles", 4);
        int threads = arguments.Int("threads", 2);
        ulong seed = (ulong)arguments.Int("seed", 1);
        var hyperParameters = arguments.HyperParameters("epochs", "factors");

        var view = DatasetCatalog.Load(data, dataDirectory: null);
        var rng = new SeededRandom(seed);
        var targets = rng.SampleWithoutReplacement(view.ItemCount, 20);
        var users = rng.SampleWithoutReplacement(view.UserCount, 20);
        var reward = new RetrainProfileReward(view, targets, users, new RetrainRewardOptions { Kind = kind, HyperParameters = hyperParameters, Seed = seed, Threads = threads });
        var baseline = Stopwatch.StartNew();
        _ = reward.Baseline;
        baseline.Stop();
        // The first candidate holds 15 target items, the others 15 random items.
        var candidates = new List<int[]> { targets.Take(15).ToArray() };
        candidates.AddRange(Enumerable.Range(1, Math.Max(0, profiles - 1)).Select(_ => rng.SampleWithoutReplacement(view.ItemCount, 15)));
        var clock = Stopwatch.StartNew();
        var scores = reward.ScoreProfilesAsync(candidates, CancellationToken.None).GetAwaiter().GetResult();
        clock.Stop();
        Console.WriteLine($"dataset  {view}; model {kind} {string.Join(' ', hyperParameters.Select(kv => kv.Key + "=" + kv.Value))}; threads {threads}");
        Console.WriteLine($"scores   targets-only profile {scores[0].ToString("G4", CultureInfo.InvariantCulture)}; random profiles {string.Join(", ", scores.Skip(1).Select(s => s.ToString("G4", CultureInfo.InvariantCulture)))}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT retrain reward on {view.Name}: baseline fit {baseline.Elapsed.TotalSeconds:F2} s; {clock.Elapsed.TotalSeconds / candidates.Count:F2} s per 15-item profile"));
        return 0;
    }

    private static double Share(IReadOnlyList<Agent.FakeProfileSpec> profiles, HashSet<int> targets)
        => profiles.SelectMany(p => p.Actions).Count(a => targets.Contains(a.Item)) / (double)profiles.Sum(p => p.Actions.Count);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
