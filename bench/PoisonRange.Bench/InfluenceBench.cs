using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Estimator;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Influence;

namespace PoisonRange.Bench;

/// <summary>
/// The influence estimator against warm-started refits: accuracy (Pearson and Spearman of the
/// predicted against the actual change of the summed target scores over single fake profiles) and
/// speed (cache build for 1..50 targets, per-candidate scoring, full retraining).
/// </summary>
internal static class InfluenceBench
{
    public static int Run(BenchArguments arguments)
    {
        string data = arguments.String("data", "ml-100k");
        string kind = arguments.String("model", "bprmf");
        int threads = arguments.Int("threads", 2);
        int profileCount = arguments.Int("profiles", 50);
        int targetCount = arguments.Int("targets", 10);
        int profileLength = arguments.Int("length", 15);
        int depth = arguments.Int("depth", 200);
        int batch = arguments.Int("batch", 4096);
        double scale = arguments.Double("scale", 1000);
        double damping = arguments.Double("damping", 0.01);
        int refitSteps = arguments.Int("refit-steps", 50);
        int refitBatch = arguments.Int("refit-batch", 0);
        string truth = arguments.String("truth", "refit");
        int copies = arguments.Int("copies", 20);
        string speedTargets = arguments.String("speed-targets", "1,10,50");
        int speedDepth = arguments.Int("speed-depth", 20);
        ulong seed = (ulong)arguments.Int("seed", 1);
        if (truth is not ("refit" or "retrain")) throw new ArgumentException($"--truth takes refit or retrain; got '{truth}'.");
        if (copies < 1) throw new ArgumentException($"--copies must be at least 1; got {copies}.");
        TorchSharp.torch.set_num_threads(threads);

        var train = DatasetCatalog.Load(data, dataDirectory: null);
        Console.WriteLine($"dataset  {train}");
        using var model = RecommenderFactory.Create(kind, null, seed, threads);
        var fitWatch = Stopwatch.StartNew();
        model.Fit(train);
        fitWatch.Stop();
        Console.WriteLine($"RESULT full retrain (Fit, {kind}, defaults, {threads} threads) seconds = {fitWatch.Elapsed.TotalSeconds:F1}");

        var rng = new Random((int)seed);
        var popularity = train.ItemPopularity();
        var midItems = Enumerable.Range(0, train.ItemCount).Where(i => popularity[i] >= 5 && popularity[i] <= 50).ToArray();
        var popular = Enumerable.Range(0, train.ItemCount).OrderByDescending(i => popularity[i]).Take(200).ToArray();
        var allTargets = Enumerable.Range(0, 50).Select(_ => new TargetPair(rng.Next(train.UserCount), midItems[rng.Next(midItems.Length)])).ToArray();
        var targets = allTargets[..targetCount];
        var targetItems = targets.Select(t => t.Item).Distinct().ToArray();
        // Half the profiles mix target items into popular ones (the kind an attack builds), half are popular-only.
        var profiles = new List<int[]>();
        for (int p = 0; p < profileCount; p++)
        {
            var profile = new int[profileLength];
            int withTargets = p % 2 == 0 ? 1 + rng.Next(Math.Min(5, profileLength)) : 0;
            for (int k = 0; k < profileLength; k++)
                profile[k] = k < withTargets ? targetItems[rng.Next(targetItems.Length)] : popular[rng.Next(popular.Length)];
            rng.Shuffle(profile);
            profiles.Add(profile);
        }

        var options = new LissaOptions { Damping = damping, Scale = scale, Depth = depth, Repeats = 1, Tolerance = 1e-4, BatchSize = batch, Seed = seed };
        Console.WriteLine($"lissa    {options.CacheText()}; targets {targetCount}; profiles {profileCount} of {profileLength} items");
        using var estimator = new InfluenceEstimator([(model, 1.0)], train, targets, options);
        var build = estimator.BuildCacheAsync(new Progress(p => Console.WriteLine($"  lissa step {p.Solve.Iteration}/{p.Solve.Depth} change {p.Solve.RelativeChange:G3}"))).GetAwaiter().GetResult();
        var stats = build.Models[0];
        Console.WriteLine($"RESULT cache build ({targetCount} targets, {stats.Parameters} parameters) seconds = {build.Elapsed.TotalSeconds:F1}; status {stats.Result.Status}, {stats.Result.Iterations} steps, relative change {stats.Result.RelativeChange:G3}");

        var scoreWatch = Stopwatch.StartNew();
        var predicted = estimator.ScoreProfiles(profiles);
        scoreWatch.Stop();
        var single = new List<double>();
        for (int k = 0; k < Math.Min(profileCount, 20); k++)
        {
            var watch = Stopwatch.StartNew();
            estimator.ScoreProfiles([profiles[k]]);
            single.Add(watch.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"RESULT score one candidate (median of {single.Count}) ms = {Median(single):F2}; batch of {profileCount}: {scoreWatch.Elapsed.TotalMilliseconds / profileCount:F2} ms per candidate");

        if (truth == "retrain")
        {
            RetrainTruth(kind, train, seed, threads, targets, profiles, predicted, copies);
            return 0;
        }

        // Ground truth: warm-started re-minimisation of the same objective, with and without each profile.
        using var view = InfluenceModels.Create(model, train, seed);
        var refit = new RefitOptions { Steps = refitSteps, LearningRate = 1 / scale, BatchUnits = refitBatch, Seed = seed };
        var refitWatch = Stopwatch.StartNew();
        double control = InfluenceRefit.Run(view, [], targets, refit).Sum();
        Console.WriteLine($"  control refit {refitWatch.Elapsed.TotalSeconds:F1} s");
        var actual = new double[profileCount];
        for (int p = 0; p < profileCount; p++)
        {
            actual[p] = InfluenceRefit.Run(view, [profiles[p]], targets, refit).Sum() - control;
            if ((p + 1) % 5 == 0) Console.WriteLine($"  refit {p + 1}/{profileCount} ({refitWatch.Elapsed.TotalSeconds:F0} s)");
        }
        double refitSeconds = refitWatch.Elapsed.TotalSeconds / (profileCount + 1);
        Console.WriteLine($"RESULT warm-start refit ({refitSteps} SGD steps, lr 1/scale, batch {(refitBatch == 0 ? "all" : refitBatch.ToString())}) seconds per candidate = {refitSeconds:F2}");
        for (int p = 0; p < profileCount; p++) Console.WriteLine($"  profile {p,2}: predicted {predicted[p],12:G4}  actual {actual[p],12:G4}");
        Console.WriteLine($"RESULT accuracy {kind}: Pearson = {Pearson(predicted, actual):F3}, Spearman = {Pearson(Ranks(predicted), Ranks(actual)):F3} over {profileCount} profiles");
        var withTarget = Enumerable.Range(0, profileCount).Where(p => p % 2 == 0).ToArray();
        var without = Enumerable.Range(0, profileCount).Where(p => p % 2 == 1).ToArray();
        Console.WriteLine($"RESULT mean actual change with target items = {withTarget.Average(p => actual[p]):G3}, without = {without.Average(p => actual[p]):G3}; predicted {withTarget.Average(p => predicted[p]):G3} / {without.Average(p => predicted[p]):G3}");

        // Speed against the number of targets (LOKI Fig. 9): cache build with a fixed depth, then scoring.
        foreach (var text in speedTargets.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int n = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            foreach (bool perTarget in new[] { true, false })
            {
                using var timed = new InfluenceEstimator([(model, 1.0)], train, allTargets[..n], options with { Depth = speedDepth, Tolerance = 0 }, solvePerTarget: perTarget);
                var result = timed.BuildCacheAsync().GetAwaiter().GetResult();
                var watch = Stopwatch.StartNew();
                timed.ScoreProfiles(profiles);
                double perCandidate = watch.Elapsed.TotalSeconds / profileCount;
                double estimatorTotal = result.Elapsed.TotalSeconds + profileCount * perCandidate;
                Console.WriteLine($"RESULT speed targets={n} ({(perTarget ? "per-target s_test" : "summed targets")}): cache build ({speedDepth} steps) {result.Elapsed.TotalSeconds:F1} s = {result.Elapsed.TotalSeconds / speedDepth:F3} s/step; " +
                                  $"{profileCount} candidates: estimator {estimatorTotal:F1} s vs retrain {profileCount * fitWatch.Elapsed.TotalSeconds:F0} s (Fit) / {profileCount * refitSeconds:F0} s (warm refit)");
            }
        }
        return 0;
    }

    /// <summary>
    /// The ground truth an attack meets: the model retrained from scratch (its defaults, the same
    /// seed) on the training set plus <paramref name="copies"/> new accounts holding the profile,
    /// against the same retrain without them; the change of the summed target scores. The noise
    /// floor is the change a retrain with another seed alone makes.
    /// </summary>
    private static void RetrainTruth(string kind, InteractionDataset train, ulong seed, int threads, TargetPair[] targets, List<int[]> profiles, double[] predicted, int copies)
    {
        double Summed(InteractionDataset data, ulong modelSeed)
        {
            using var model = RecommenderFactory.Create(kind, null, modelSeed, threads);
            model.Fit(data);
            var scores = new float[data.ItemCount];
            double sum = 0;
            foreach (var t in targets)
            {
                model.ScoreUser(t.User, scores);
                sum += scores[t.Item];
            }
            return sum;
        }

        var watch = Stopwatch.StartNew();
        double control = Summed(train, seed);
        double noise = Summed(train, seed + 1000) - control;
        Console.WriteLine($"  control retrain {watch.Elapsed.TotalSeconds:F1} s; another seed alone changes the summed target scores by {noise:G4}");
        var actual = new double[profiles.Count];
        for (int p = 0; p < profiles.Count; p++)
        {
            var sequences = train.Sequences.Concat(Enumerable.Repeat(profiles[p], copies)).ToArray();
            var users = train.UserIds.Concat(Enumerable.Range(0, copies).Select(c => $"fake-{p}-{c}")).ToArray();
            var poisoned = new InteractionDataset(train.Name + "+fake", users, train.ItemIds, sequences, null, null);
            actual[p] = Summed(poisoned, seed) - control;
            if ((p + 1) % 5 == 0) Console.WriteLine($"  retrain {p + 1}/{profiles.Count} ({watch.Elapsed.TotalSeconds:F0} s)");
        }
        for (int p = 0; p < profiles.Count; p++) Console.WriteLine($"  profile {p,2}: predicted {predicted[p],12:G4}  actual {actual[p],12:G4}");
        Console.WriteLine($"RESULT accuracy against full retrains {kind} ({copies} accounts per profile): Pearson = {Pearson(predicted, actual):F3}, Spearman = {Pearson(Ranks(predicted), Ranks(actual)):F3} over {profiles.Count} profiles; seed noise {noise:G3}");
        var withTarget = Enumerable.Range(0, profiles.Count).Where(p => p % 2 == 0).ToArray();
        var without = Enumerable.Range(0, profiles.Count).Where(p => p % 2 == 1).ToArray();
        Console.WriteLine($"RESULT mean retrain change with target items = {withTarget.Average(p => actual[p]):G3}, without = {without.Average(p => actual[p]):G3}; predicted {withTarget.Average(p => predicted[p]):G3} / {without.Average(p => predicted[p]):G3}");
    }

    private sealed class Progress(Action<CacheBuildProgress> report) : IProgress<CacheBuildProgress>
    {
        private int _count;

        public void Report(CacheBuildProgress value)
        {
            if (++_count % 5 == 0) report(value);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int k = 0; k < a.Length; k++)
        {
            sab += (a[k] - ma) * (b[k] - mb);
            saa += (a[k] - ma) * (a[k] - ma);
            sbb += (b[k] - mb) * (b[k] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }

    private static double[] Ranks(double[] values)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(k => values[k]).ToArray();
        var ranks = new double[values.Length];
        for (int r = 0; r < order.Length; r++) ranks[order[r]] = r;
        return ranks;
    }
}
