using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Factorization;

namespace PoisonRange.Bench;

internal static class BprMfBench
{
    internal static readonly string[] ModelOptions = ["epochs", "factors", "batch-size", "learning-rate", "l2", "optimizer", "use-item-bias", "fold-in-l2"];

    /// <summary>Training speed (median seconds per epoch) and serving throughput.</summary>
    public static int Epoch(BenchArguments arguments)
    {
        string data = arguments.String("data", "ml-1m");
        int threads = arguments.Int("threads", 2);
        ulong seed = (ulong)arguments.Int("seed", 1);
        var hyperParameters = arguments.HyperParameters(ModelOptions);
        hyperParameters.TryAdd("epochs", "5");

        var dataset = LoadDataset(data);
        Console.WriteLine($"dataset  {dataset}");
        using var model = (BprMf)RecommenderFactory.Create(BprMf.KindName, hyperParameters, seed, threads);
        Console.WriteLine($"model    bprmf factors={model.Options.Factors} epochs={model.Options.Epochs} batch={model.Options.BatchSize} " +
                          $"lr={model.Options.LearningRate} l2={model.Options.L2} optimizer={model.Options.Optimizer} threads={threads}");

        var epochSeconds = new List<double>();
        var last = TimeSpan.Zero;
        var progress = new SynchronousProgress<TrainProgress>(p =>
        {
            double seconds = (p.Elapsed - last).TotalSeconds;
            last = p.Elapsed;
            epochSeconds.Add(seconds);
            Console.WriteLine($"epoch {p.Epoch,3}/{p.Epochs}  loss {p.Loss:F4}  {seconds:F2} s");
        });
        var total = Stopwatch.StartNew();
        model.Fit(dataset, progress);
        total.Stop();
        Console.WriteLine($"fit total {total.Elapsed.TotalSeconds:F2} s (includes setup and the serving copy)");
        if (epochSeconds.Count > 0)
            Console.WriteLine($"RESULT seconds/epoch (median of {epochSeconds.Count}) = {Median(epochSeconds):F3}");

        MeasureScoring(model, dataset, threads);
        MeasureFoldIn(model, dataset);
        return 0;
    }

    private static void MeasureScoring(IRecommender model, InteractionDataset dataset, int threads)
    {
        int users = dataset.UserCount;
        // Warm-up pass (JIT, caches).
        RankUsers(model, dataset, 0, Math.Min(users, 500));

        var stopwatch = Stopwatch.StartNew();
        long ranked = 0;
        while (stopwatch.Elapsed.TotalSeconds < 3)
            ranked += RankUsers(model, dataset, 0, users);
        double single = ranked / stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine($"RESULT users ranked/s, 1 thread  (ScoreUser over {model.ItemCount} items + exclude seen + top-10) = {single:F0}");

        stopwatch.Restart();
        ranked = 0;
        while (stopwatch.Elapsed.TotalSeconds < 3)
        {
            var counts = new long[threads];
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int from = (int)((long)users * t / threads), to = (int)((long)users * (t + 1) / threads);
                counts[t] = RankUsers(model, dataset, from, to);
            });
            ranked += counts.Sum();
        }
        double parallel = ranked / stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine($"RESULT users ranked/s, {threads} threads = {parallel:F0}");
    }

    private static long RankUsers(IRecommender model, InteractionDataset dataset, int from, int to)
    {
        var scores = new float[model.ItemCount];
        Span<int> top = stackalloc int[10];
        long checksum = 0;
        for (int u = from; u < to; u++)
        {
            model.ScoreUser(u, scores);
            RecommenderExtensions.ExcludeItems(scores, dataset.Sequences[u]);
            int n = TopK.SelectInto(scores, top);
            checksum += n;
        }
        return checksum == 0 ? 0 : to - from;
    }

    private static void MeasureFoldIn(BprMf model, InteractionDataset dataset)
    {
        var histories = dataset.Sequences.Where(s => s.Length >= 15).Select(s => s[^15..]).ToArray();
        if (histories.Length == 0) return;
        var vector = new float[model.Factors];
        var scores = new float[model.ItemCount];
        for (int i = 0; i < Math.Min(200, histories.Length); i++) model.FoldIn(histories[i], vector);

        var stopwatch = Stopwatch.StartNew();
        long count = 0;
        while (stopwatch.Elapsed.TotalSeconds < 2)
            foreach (var h in histories) { model.FoldIn(h, vector); count++; }
        double foldInMicros = stopwatch.Elapsed.TotalMicroseconds / count;

        stopwatch.Restart();
        count = 0;
        Span<int> top = stackalloc int[10];
        while (stopwatch.Elapsed.TotalSeconds < 2)
            foreach (var h in histories)
            {
                model.ScoreHistory(h, scores);
                RecommenderExtensions.ExcludeItems(scores, h);
                TopK.SelectInto(scores, top);
                count++;
            }
        double recommendMicros = stopwatch.Elapsed.TotalMicroseconds / count;
        Console.WriteLine($"RESULT fold-in of a 15-item history: solve {foldInMicros:F1} µs; ScoreHistory + exclude + top-10 {recommendMicros:F1} µs");
    }

    /// <summary>Leave-last-out HR@10 (seen items excluded) of PopRec, BPR-MF users, and BPR-MF fold-in of the same histories.</summary>
    public static int Quality(BenchArguments arguments)
    {
        string data = arguments.String("data", "ml-1m");
        int threads = arguments.Int("threads", 2);
        ulong seed = (ulong)arguments.Int("seed", 1);
        var hyperParameters = arguments.HyperParameters(ModelOptions);

        var full = LoadDataset(data);
        var train = full.WithSequences(full.Sequences.Select(s => s.Length > 1 ? s[..^1] : s).ToArray(), null, null, full.Name + "-train");
        var heldOut = full.Sequences.Select(s => s.Length > 1 ? s[^1] : -1).ToArray();
        Console.WriteLine($"dataset  {full}; leave-last-out");

        using var pop = RecommenderFactory.Create("poprec", null, seed, threads);
        pop.Fit(train);
        using var model = (BprMf)RecommenderFactory.Create(BprMf.KindName, hyperParameters, seed, threads);
        var stopwatch = Stopwatch.StartNew();
        model.Fit(train, new SynchronousProgress<TrainProgress>(p => Console.WriteLine($"epoch {p.Epoch,3}/{p.Epochs}  loss {p.Loss:F4}  {p.Elapsed.TotalSeconds:F1} s")));
        Console.WriteLine($"trained in {stopwatch.Elapsed.TotalSeconds:F1} s; fold-in margin {model.FoldInMargin:F3}");

        Console.WriteLine($"RESULT HR@10 poprec          = {HitRatio(train, heldOut, (u, s) => pop.ScoreUser(u, s), pop.ItemCount):F4}");
        Console.WriteLine($"RESULT HR@10 bprmf (trained) = {HitRatio(train, heldOut, (u, s) => model.ScoreUser(u, s), model.ItemCount):F4}");
        Console.WriteLine($"RESULT HR@10 bprmf (fold-in) = {HitRatio(train, heldOut, (u, s) => model.ScoreHistory(train.Sequences[u], s), model.ItemCount):F4}");
        return 0;
    }

    private delegate void Scorer(int user, Span<float> scores);

    private static double HitRatio(InteractionDataset train, int[] heldOut, Scorer score, int items)
    {
        var scores = new float[items];
        Span<int> top = stackalloc int[10];
        int hits = 0, users = 0;
        for (int u = 0; u < train.UserCount; u++)
        {
            if (heldOut[u] < 0) continue;
            score(u, scores);
            RecommenderExtensions.ExcludeItems(scores, train.Sequences[u]);
            int n = TopK.SelectInto(scores, top);
            users++;
            if (top[..n].Contains(heldOut[u])) hits++;
        }
        return users == 0 ? 0 : (double)hits / users;
    }

    private static InteractionDataset LoadDataset(string data) => DatasetCatalog.Load(data, dataDirectory: null);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Reports on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
