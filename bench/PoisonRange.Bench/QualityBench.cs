using System.Diagnostics;
using System.Globalization;
using System.Text;
using PoisonRange.Data;
using PoisonRange.Recommenders;

namespace PoisonRange.Bench;

/// <summary>
/// The zoo's quality benchmark: trains every registered kind (or those of <c>--models</c>) on real
/// data and reports, per model, dataset and protocol, the seed, the wall-clock and:
/// <list type="bullet">
/// <item><b>llo</b>: leave-last-out HR@10 and NDCG@10, full ranking over the catalogue with the
/// user's training items excluded (ML-100K, Yelp, Last.fm by default);</item>
/// <item><b>r50</b>: Recall@50 with a seeded per-user 80/20 random split
/// (<see cref="Splits.RandomHoldout"/>), training items excluded (ML-100K and the Gowalla
/// sample by default).</item>
/// </list>
/// </summary>
internal static class QualityBench
{
    private const int HitK = 10;
    private const int RecallK = 50;
    private const double TestFraction = 0.2;

    /// <summary>The protocols each known dataset is evaluated with by default.</summary>
    private static readonly Dictionary<string, string[]> DefaultProtocols = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ml-100k"] = ["llo", "r50"],
        ["yelp"] = ["llo"],
        ["lastfm"] = ["llo"],
        ["gowalla"] = ["r50"],
        ["ml-1m"] = ["llo"],
    };

    private static readonly Dictionary<string, string> DatasetNotes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["lastfm"] = "Last.fm (user_artists.dat) has no timestamps and its rows are sorted by artist id, so \"last\" would mean \"newest artist id\": each user's items are shuffled with the seed first, making the held-out item a random one (leave-one-out).",
        ["gowalla"] = "Only Tang et al.'s 20% test split of Gowalla exists here (train.csv is missing); it is used as a dataset of its own and split 80/20 again, so its numbers are not comparable with Tang's Table 1.",
        ["yelp"] = "Yelp users re-review: a held-out item that is also in the user's training items is excluded from the ranking like every seen item and counts as a miss.",
    };

    public static int Run(BenchArguments arguments)
    {
        var kinds = ZooBench.ParseModels(arguments.String("models", ""));
        var datasets = arguments.String("datasets", "ml-100k,yelp,lastfm,gowalla").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var protocolFilter = arguments.String("protocols", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        ulong seed = (ulong)arguments.Int("seed", 1);
        int threads = arguments.Int("threads", 2);
        string? outPath = arguments.String("out", "") is { Length: > 0 } o ? o : null;
        var overrides = ZooBench.ParseHyperParameters(arguments.String("hp", ""));
        string? dataDir = arguments.String("data-dir", "") is { Length: > 0 } dd ? dd : null;
        bool verbose = arguments.Int("verbose", 1) != 0;
        bool foldIn = arguments.Int("fold-in", 1) != 0;
        if (threads < 1) throw new ArgumentException($"--threads must be at least 1; got {threads}.");
        foreach (var p in protocolFilter)
            if (p is not ("llo" or "r50")) throw new ArgumentException($"--protocols takes llo and/or r50; got '{p}'.");

        var header = ZooBench.Header("quality", seed, threads);
        Console.WriteLine(header);
        Console.WriteLine($"models: {string.Join(", ", kinds)}");
        foreach (var (kind, hp) in overrides)
            Console.WriteLine($"overrides for {kind}: {string.Join(", ", hp.Select(p => $"{p.Key}={p.Value}"))}");

        var results = new List<Result>();
        var notes = new List<string>();
        foreach (var name in datasets)
        {
            var protocols = DefaultProtocols.TryGetValue(name, out var known) ? known : ["llo"];
            if (protocolFilter.Length > 0) protocols = protocols.Intersect(protocolFilter).ToArray();
            if (protocols.Length == 0) continue;
            var loadWatch = Stopwatch.StartNew();
            var data = DatasetCatalog.Load(name, dataDir);
            Console.WriteLine($"\n## {data} (loaded in {loadWatch.Elapsed.TotalSeconds:F1} s)");
            if (DatasetNotes.TryGetValue(name, out var note))
            {
                Console.WriteLine($"note: {note}");
                notes.Add($"{name}: {note}");
            }
            foreach (var protocol in protocols)
            {
                var task = protocol == "llo" ? EvalTask.LeaveLastOut(data, seed) : EvalTask.RandomHoldout(data, seed);
                Console.WriteLine($"### {name} {task.Description}: {task.Train.InteractionCount} training interactions, {task.EvaluableUsers} evaluated users");
                if (task.IsLeaveLastOut && task.HeldOutAlsoInTraining is > 0 and var repeats)
                {
                    var line = $"{name}: {repeats} of {task.EvaluableUsers} users ({100.0 * repeats / task.EvaluableUsers:F1}%) have a held-out item they also have in training; it is excluded like every seen item, so HR@{HitK} cannot exceed {1 - (double)repeats / task.EvaluableUsers:F3}.";
                    Console.WriteLine($"note: {line}");
                    notes.Add(line);
                }
                foreach (var kind in kinds)
                {
                    var result = Evaluate(kind, overrides.GetValueOrDefault(kind), task, name, protocol, seed, threads, verbose, foldIn);
                    results.Add(result);
                    Console.WriteLine(result.Line());
                    if (outPath is not null) File.WriteAllText(outPath, Markdown(header, results, notes));
                }
            }
        }

        var markdown = Markdown(header, results, notes);
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (outPath is not null)
        {
            File.WriteAllText(outPath, markdown);
            Console.WriteLine($"written to {outPath}");
        }
        return results.Any(r => r.Error is not null) ? 1 : 0;
    }

    /// <summary>A split to evaluate on: training data and, per user, the held-out items (empty: not evaluated).</summary>
    private sealed class EvalTask
    {
        public required string Description { get; init; }
        public required bool IsLeaveLastOut { get; init; }
        public required InteractionDataset Train { get; init; }
        public required int[][] HeldOut { get; init; }
        public int EvaluableUsers => HeldOut.Count(h => h.Length > 0);

        /// <summary>Users whose held-out item is also one of their training items: excluded like every seen item, so a sure miss.</summary>
        public int HeldOutAlsoInTraining => Enumerable.Range(0, HeldOut.Length)
            .Count(u => HeldOut[u].Length > 0 && Array.IndexOf(Train.Sequences[u], HeldOut[u][0]) >= 0);

        public static EvalTask LeaveLastOut(InteractionDataset data, ulong seed)
        {
            bool ordered = data.HasTimestamps;
            var split = Splits.LeaveLastOut(ordered ? data : ShuffledPerUser(data, seed));
            return new EvalTask
            {
                Description = ordered ? "leave-last-out" : $"leave-one-out (no timestamps: each user's order shuffled with seed {seed}, so the held-out item is a random one)",
                IsLeaveLastOut = true,
                Train = split.Train,
                HeldOut = split.TestItem.Select(t => t >= 0 ? new[] { t } : []).ToArray(),
            };
        }

        /// <summary>Each user's interactions in a seeded random order (ratings kept with their items).</summary>
        private static InteractionDataset ShuffledPerUser(InteractionDataset data, ulong seed)
        {
            var sequences = new int[data.UserCount][];
            var ratings = data.Ratings is null ? null : new float[data.UserCount][];
            for (int u = 0; u < data.UserCount; u++)
            {
                var order = SeededRandom.Derive(seed, (ulong)u).Permutation(data.Sequences[u].Length);
                sequences[u] = order.Select(t => data.Sequences[u][t]).ToArray();
                if (ratings is not null) ratings[u] = order.Select(t => data.Ratings![u][t]).ToArray();
            }
            return data.WithSequences(sequences, null, ratings);
        }

        public static EvalTask RandomHoldout(InteractionDataset data, ulong seed)
        {
            var split = Splits.RandomHoldout(data, TestFraction, seed);
            // Relevant items: held-out items the user has not also kept in training (repeats).
            var heldOut = new int[data.UserCount][];
            for (int u = 0; u < data.UserCount; u++)
            {
                var seen = new HashSet<int>(split.Train.Sequences[u]);
                heldOut[u] = split.Test[u].Where(i => !seen.Contains(i)).Distinct().ToArray();
            }
            return new EvalTask
            {
                Description = $"random 80/20 split (seed {seed})",
                IsLeaveLastOut = false,
                Train = split.Train,
                HeldOut = heldOut,
            };
        }
    }

    private sealed record Result(string Kind, string Dataset, string Protocol, int Users, double Hr, double Ndcg, double Recall,
        double FoldInHr, double TrainSeconds, double EvalSeconds, ulong Seed, string? Error)
    {
        public string Line() => Error is not null
            ? $"RESULT {Kind,-10} {Dataset,-8} {Protocol,-4} FAILED: {Error}"
            : Protocol == "llo"
                ? $"RESULT {Kind,-10} {Dataset,-8} llo  HR@10 {Hr:F4}  NDCG@10 {Ndcg:F4}  fold-in HR@10 {FoldInHr:F4}  users {Users}  train {TrainSeconds:F1} s  eval {EvalSeconds:F1} s  seed {Seed}"
                : $"RESULT {Kind,-10} {Dataset,-8} r50  Recall@50 {Recall:F4}  users {Users}  train {TrainSeconds:F1} s  eval {EvalSeconds:F1} s  seed {Seed}";
    }

    private static Result Evaluate(string kind, Dictionary<string, string>? hyperParameters, EvalTask task, string dataset, string protocol,
        ulong seed, int threads, bool verbose, bool foldIn)
    {
        IRecommender? model = null;
        try
        {
            model = RecommenderFactory.Create(kind, hyperParameters, seed, threads);
            var trainWatch = Stopwatch.StartNew();
            var progress = new ZooBench.SynchronousProgress<TrainProgress>(p =>
            {
                if (verbose) Console.Error.WriteLine($"  {kind} {dataset} {protocol} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:G5} {p.Elapsed.TotalSeconds:F1} s");
            });
            model.Fit(task.Train, progress);
            double trainSeconds = trainWatch.Elapsed.TotalSeconds;

            var evalWatch = Stopwatch.StartNew();
            int users = task.Train.UserCount;
            var hr = new double[users];
            var ndcg = new double[users];
            var recall = new double[users];
            var foldInHr = new double[users];
            bool measureFoldIn = foldIn && task.IsLeaveLastOut;
            var evaluated = new bool[users];
            int k = task.IsLeaveLastOut ? HitK : RecallK;
            var model1 = model;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, worker =>
            {
                var scores = new float[model1.ItemCount];
                var top = new int[k];
                for (int u = worker; u < users; u += threads)
                {
                    var heldOut = task.HeldOut[u];
                    if (heldOut.Length == 0) continue;
                    model1.ScoreUser(u, scores);
                    RecommenderExtensions.ExcludeItems(scores, task.Train.Sequences[u]);
                    int n = TopK.SelectInto(scores, top);
                    var ranking = top.AsSpan(0, n);
                    evaluated[u] = true;
                    if (task.IsLeaveLastOut)
                    {
                        hr[u] = Metrics.HitRatio(ranking, heldOut[0], HitK);
                        ndcg[u] = Metrics.Ndcg(ranking, heldOut[0], HitK);
                        if (measureFoldIn)
                        {
                            // The same history scored as an unseen account (fold-in).
                            model1.ScoreHistory(task.Train.Sequences[u], scores);
                            RecommenderExtensions.ExcludeItems(scores, task.Train.Sequences[u]);
                            n = TopK.SelectInto(scores, top);
                            foldInHr[u] = Metrics.HitRatio(top.AsSpan(0, n), heldOut[0], HitK);
                        }
                    }
                    else
                    {
                        recall[u] = Metrics.Recall(ranking, heldOut, RecallK);
                    }
                }
            });
            int count = evaluated.Count(e => e);
            double Mean(double[] values) => count == 0 ? double.NaN : values.Where((_, u) => evaluated[u]).Sum() / count;
            return new Result(kind, dataset, protocol, count, Mean(hr), Mean(ndcg), Mean(recall), measureFoldIn ? Mean(foldInHr) : double.NaN,
                trainSeconds, evalWatch.Elapsed.TotalSeconds, seed, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (verbose) Console.Error.WriteLine($"{kind} on {dataset} ({protocol}) failed: {e}");
            return new Result(kind, dataset, protocol, 0, double.NaN, double.NaN, double.NaN, double.NaN, 0, 0, seed, $"{e.GetType().Name}: {FirstLine(e.Message)}");
        }
        finally
        {
            model?.Dispose();
        }
    }

    private static string FirstLine(string message)
    {
        int i = message.IndexOf('\n');
        return i < 0 ? message : message[..i].TrimEnd('\r');
    }

    private static string Markdown(string header, List<Result> results, List<string> notes)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(header);
        text.AppendLine();
        var llo = results.Where(r => r.Protocol == "llo").ToList();
        if (llo.Count > 0)
        {
            var datasets = llo.Select(r => r.Dataset).Distinct().ToArray();
            text.AppendLine($"Leave-last-out, full ranking, training items excluded: HR@{HitK} / NDCG@{HitK}, fold-in HR@{HitK} (the same training history scored through ScoreHistory, as an unseen account), train seconds");
            text.AppendLine();
            text.Append("| model |");
            foreach (var d in datasets) text.Append(inv, $" {d} HR@{HitK} | {d} NDCG@{HitK} | {d} fold-in HR@{HitK} | {d} train s |");
            text.AppendLine();
            text.Append("| --- |");
            foreach (var _ in datasets) text.Append(" ---: | ---: | ---: | ---: |");
            text.AppendLine();
            foreach (var kind in llo.Select(r => r.Kind).Distinct())
            {
                text.Append(inv, $"| {kind} |");
                foreach (var d in datasets)
                {
                    var r = llo.FirstOrDefault(x => x.Kind == kind && x.Dataset == d);
                    if (r is null) text.Append(" | | | |");
                    else if (r.Error is not null) text.Append(" failed | | | |");
                    else text.Append(inv, $" {r.Hr:F4} | {r.Ndcg:F4} | {(double.IsNaN(r.FoldInHr) ? "" : r.FoldInHr.ToString("F4", inv))} | {r.TrainSeconds:F1} |");
                }
                text.AppendLine();
            }
            text.AppendLine();
        }
        var r50 = results.Where(r => r.Protocol == "r50").ToList();
        if (r50.Count > 0)
        {
            var datasets = r50.Select(r => r.Dataset).Distinct().ToArray();
            text.AppendLine($"Random 80/20 split per user (seeded), training items excluded: Recall@{RecallK} (train seconds)");
            text.AppendLine();
            text.Append("| model |");
            foreach (var d in datasets) text.Append(inv, $" {d} Recall@{RecallK} | {d} train s |");
            text.AppendLine();
            text.Append("| --- |");
            foreach (var _ in datasets) text.Append(" ---: | ---: |");
            text.AppendLine();
            foreach (var kind in r50.Select(r => r.Kind).Distinct())
            {
                text.Append(inv, $"| {kind} |");
                foreach (var d in datasets)
                {
                    var r = r50.FirstOrDefault(x => x.Kind == kind && x.Dataset == d);
                    if (r is null) text.Append(" | |");
                    else if (r.Error is not null) text.Append(" failed | |");
                    else text.Append(inv, $" {r.Recall:F4} | {r.TrainSeconds:F1} |");
                }
                text.AppendLine();
            }
            text.AppendLine();
        }
        var failures = results.Where(r => r.Error is not null).ToList();
        foreach (var f in failures) text.AppendLine($"- {f.Kind} on {f.Dataset} ({f.Protocol}) failed: {f.Error}");
        foreach (var n in notes) text.AppendLine($"- {n}");
        return text.ToString();
    }
}

/// <summary>Helpers shared by the zoo benchmarks (quality and speed).</summary>
internal static class ZooBench
{
    /// <summary>The kinds of <c>--models</c> (comma-separated), or every registered kind when empty.</summary>
    public static string[] ParseModels(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return RecommenderFactory.Kinds.ToArray();
        var kinds = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var kind in kinds) RecommenderFactory.Describe(kind); // throws with the known kinds
        return kinds.Select(k => k.ToLowerInvariant()).ToArray();
    }

    /// <summary><c>--hp "wrmf.l2=0.1,itemcf.neighbors=100"</c>: per-kind hyper-parameter overrides.</summary>
    public static Dictionary<string, Dictionary<string, string>> ParseHyperParameters(string text)
    {
        var result = new Dictionary<string, Dictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int dot = entry.IndexOf('.'), equals = entry.IndexOf('=');
            if (dot <= 0 || equals < dot + 2)
                throw new ArgumentException($"--hp expects kind.name=value entries separated by commas; got '{entry}'.");
            string kind = entry[..dot].ToLowerInvariant();
            if (!result.TryGetValue(kind, out var map)) result[kind] = map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            map[entry[(dot + 1)..equals]] = entry[(equals + 1)..];
        }
        return result;
    }

    /// <summary>A Markdown header: the command, the machine and the date.</summary>
    public static string Header(string command, ulong seed, int threads)
    {
        string cpu = "unknown";
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) cpu = line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        string load = "";
        try
        {
            load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            load = $", load average {load} at the start (the machine is shared)";
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        var args = Environment.GetCommandLineArgs().Skip(1).Select(a => a.Contains(' ') || a.Length == 0 ? $"\"{a}\"" : a);
        return $"`{command}` run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; command line: `{string.Join(' ', args)}`; " +
               $"machine: {Environment.ProcessorCount} logical CPUs ({cpu}){load}, .NET {Environment.Version}; seed {seed}; {threads} threads.";
    }

    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>Reports on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
