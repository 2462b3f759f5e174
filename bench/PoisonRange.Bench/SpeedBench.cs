using System.Diagnostics;
using System.Globalization;
using System.Text;
using PoisonRange.Data;
using PoisonRange.Recommenders;

namespace PoisonRange.Bench;

/// <summary>
/// The zoo's speed benchmark, per model on one dataset (ML-1M by default) with a fixed thread
/// count: training seconds per epoch (per ALS sweep; the whole fit for models without epochs),
/// inference throughput (users ranked per second over the full catalogue: ScoreUser, seen items
/// excluded, top-10), and the fold-in time of a 15-item history (ScoreHistory + top-10).
/// Models whose kind has an <c>epochs</c> hyper-parameter train for <c>--epochs</c> epochs (2 by
/// default) unless <c>--hp</c> says otherwise: the numbers are speeds, not the quality of a full fit.
/// </summary>
internal static class SpeedBench
{
    private const int HistoryLength = 15;

    public static int Run(BenchArguments arguments)
    {
        var kinds = ZooBench.ParseModels(arguments.String("models", ""));
        string dataName = arguments.String("data", "ml-1m");
        int threads = arguments.Int("threads", 2);
        ulong seed = (ulong)arguments.Int("seed", 1);
        int epochs = arguments.Int("epochs", 2);
        double seconds = arguments.Int("seconds", 5);
        string? outPath = arguments.String("out", "") is { Length: > 0 } o ? o : null;
        var overrides = ZooBench.ParseHyperParameters(arguments.String("hp", ""));
        string? dataDir = arguments.String("data-dir", "") is { Length: > 0 } dd ? dd : null;
        if (threads < 1) throw new ArgumentException($"--threads must be at least 1; got {threads}.");
        if (epochs < 1) throw new ArgumentException($"--epochs must be at least 1; got {epochs}.");

        var header = ZooBench.Header("speed", seed, threads);
        Console.WriteLine(header);
        var data = DatasetCatalog.Load(dataName, dataDir);
        Console.WriteLine($"dataset {data}");
        var histories = data.Sequences.Where(s => s.Length >= HistoryLength).Select(s => s[^HistoryLength..]).ToArray();

        var rows = new List<string>();
        foreach (var kind in kinds)
        {
            var hyperParameters = new Dictionary<string, string>(overrides.GetValueOrDefault(kind) ?? [], StringComparer.OrdinalIgnoreCase);
            bool capped = RecommenderFactory.Describe(kind).HyperParameterNames.Contains("epochs", StringComparer.OrdinalIgnoreCase)
                && !hyperParameters.ContainsKey("epochs");
            if (capped) hyperParameters["epochs"] = epochs.ToString(CultureInfo.InvariantCulture);
            try
            {
                rows.Add(Measure(kind, hyperParameters, data, histories, seed, threads, seconds));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Console.WriteLine($"RESULT {kind} FAILED: {e.GetType().Name}: {e.Message}");
                rows.Add($"| {kind} | failed: {e.GetType().Name} | | | | | |");
            }
        }

        var text = new StringBuilder();
        text.AppendLine(header);
        text.AppendLine();
        text.AppendLine($"Dataset {data.Name}: {data.UserCount} users, {data.ItemCount} items, {data.InteractionCount} interactions. " +
                        $"Ranking = ScoreUser over the whole catalogue + exclude seen + top-10; fold-in = ScoreHistory of the last {HistoryLength} items of a user + top-10.");
        text.AppendLine();
        text.AppendLine($"| model | epochs run | s / epoch (median) | fit s | users ranked / s, 1 thread | users ranked / s, {threads} threads | fold-in {HistoryLength} items, ms (median) |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var row in rows) text.AppendLine(row);
        var markdown = text.ToString();
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (outPath is not null)
        {
            File.WriteAllText(outPath, markdown);
            Console.WriteLine($"written to {outPath}");
        }
        return 0;
    }

    private static string Measure(string kind, Dictionary<string, string> hyperParameters, InteractionDataset data, int[][] histories,
        ulong seed, int threads, double seconds)
    {
        var inv = CultureInfo.InvariantCulture;
        using var model = RecommenderFactory.Create(kind, hyperParameters, seed, threads);
        var epochSeconds = new List<double>();
        var last = TimeSpan.Zero;
        var progress = new ZooBench.SynchronousProgress<TrainProgress>(p =>
        {
            epochSeconds.Add((p.Elapsed - last).TotalSeconds);
            last = p.Elapsed;
            Console.Error.WriteLine($"  {kind} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:G5} {p.Elapsed.TotalSeconds:F1} s");
        });
        var fitWatch = Stopwatch.StartNew();
        model.Fit(data, progress);
        double fitSeconds = fitWatch.Elapsed.TotalSeconds;
        double perEpoch = ZooBench.Median(epochSeconds);

        double single = RankingThroughput(model, data, 1, seconds);
        double parallel = RankingThroughput(model, data, threads, seconds);
        double foldInMs = FoldInMilliseconds(model, histories, seconds);
        string hp = string.Join(" ", hyperParameters.Select(p => $"{p.Key}={p.Value}"));
        Console.WriteLine($"RESULT {kind,-10} {hp} epochs {epochSeconds.Count}  s/epoch {perEpoch:F3}  fit {fitSeconds:F1} s  " +
                          $"ranked/s 1 thread {single:F1}  {threads} threads {parallel:F1}  fold-in {foldInMs:F3} ms");
        return string.Create(inv, $"| {kind} | {epochSeconds.Count} | {perEpoch:F3} | {fitSeconds:F1} | {single:F1} | {parallel:F1} | {foldInMs:F3} |");
    }

    /// <summary>Users ranked per second by <paramref name="threads"/> workers, measured for about <paramref name="seconds"/> after a warm-up.</summary>
    private static double RankingThroughput(IRecommender model, InteractionDataset data, int threads, double seconds)
    {
        int users = model.UserCount;
        RankUsers(model, data, 0, Math.Min(users, 20), 1, CancellationToken.None);
        long ranked = 0;
        var stopwatch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var counts = new long[threads];
        // Each worker walks its own stride of users until the time is up (at least one user each).
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long mine = 0;
            long user = t;
            do
            {
                int u = (int)(user % users);
                mine += RankUsers(model, data, u, u + 1, 1, CancellationToken.None);
                user += threads;
            }
            while (!stop.IsCancellationRequested);
            counts[t] = mine;
        });
        ranked = counts.Sum();
        return ranked / stopwatch.Elapsed.TotalSeconds;
    }

    private static long RankUsers(IRecommender model, InteractionDataset data, int from, int to, int step, CancellationToken token)
    {
        var scores = new float[model.ItemCount];
        Span<int> top = stackalloc int[10];
        long count = 0;
        for (int u = from; u < to && !token.IsCancellationRequested; u += step)
        {
            model.ScoreUser(u, scores);
            RecommenderExtensions.ExcludeItems(scores, data.Sequences[u]);
            TopK.SelectInto(scores, top);
            count++;
        }
        return count;
    }

    /// <summary>Median milliseconds of ScoreHistory + exclude + top-10 over 15-item histories.</summary>
    private static double FoldInMilliseconds(IRecommender model, int[][] histories, double seconds)
    {
        if (histories.Length == 0) return double.NaN;
        var scores = new float[model.ItemCount];
        var top = new int[10];
        for (int i = 0; i < Math.Min(5, histories.Length); i++) model.RecommendHistory(histories[i], excludeHistory: true, top);
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        for (int i = 0; total.Elapsed.TotalSeconds < seconds || times.Count < 5; i++)
        {
            // In long arithmetic: a fast model runs past int.MaxValue / 7919 iterations in the time window.
            var h = histories[(int)((long)i * 7919 % histories.Length)];
            long start = Stopwatch.GetTimestamp();
            model.ScoreHistory(h, scores);
            RecommenderExtensions.ExcludeItems(scores, h);
            TopK.SelectInto(scores, top);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return ZooBench.Median(times);
    }
}
