using System.CommandLine;
using PoisonRange.Bench;
using static PoisonRange.Bench.BenchOption;

// Benchmarks of the recommender library and the platform. Each command is a name, a description,
// a handler and the options it reads; add new ones to the table.
BenchOption data = Text("data", "dataset name or path"), threads = Whole("threads"), seed = Whole("seed"),
    dataDir = Text("data-dir", "directory of the named datasets"), store = Text("store", "memory or redis"),
    victim = Text("victim", "the platform's victim kind"), clients = Whole("clients", "concurrent clients"),
    repeats = Whole("repeats"), targets = Whole("targets"), groups = Whole("groups"), models = Text("models", "comma-separated kinds (default: every registered kind)"),
    output = Text("out", "write the Markdown table to this file"), hp = Text("hp", "hyper-parameters, kind.name=value;..."),
    profiles = Whole("profiles"), epochs = Whole("epochs"), seconds = Whole("seconds");
BenchOption[] bprmf = [.. BprMfBench.ModelOptions.Select(name => Text(name, "BPR-MF hyper-parameter"))];

BenchCommand[] commands =
[
    new("bprmf-epoch", "train BPR-MF on a dataset; seconds per epoch (median) and users ranked per second", BprMfBench.Epoch, [data, threads, seed, .. bprmf]),
    new("bprmf-quality", "leave-last-out HR@10 of PopRec, BPR-MF and BPR-MF fold-in", BprMfBench.Quality, [data, threads, seed, .. bprmf]),
    new("recommend", "platform Recommend throughput and p50/p99 latency over loopback gRPC (--store memory|redis --clients 32)", PlatformBench.Recommend,
        store, clients, seconds, Whole("warmup"), Whole("channels"), data, victim, dataDir),
    new("limits", "rate-limit exactness: admitted calls vs the query budget under concurrent clients (--store --clients --calls --budget)", PlatformBench.Limits,
        store, clients, Whole("calls"), Whole("budget")),
    new("query-budget", "simulator agreement with the platform on held-out probes vs probe queries, per leave-one-out victim (--data ml-100k --victims --budgets --holdout --repeats)", SimulatorBench.QueryBudget,
        data, dataDir, Text("victims"), Text("budgets"), Whole("holdout"), repeats, threads, Whole("k"), seed),
    new("influence", "influence estimator vs warm-started refits: Pearson/Spearman over single fake profiles, cache build and scoring time for 1..50 targets (--model bprmf|gru4rec --data ml-100k)", InfluenceBench.Run,
        data, Text("model"), threads, profiles, targets, Whole("length"), Whole("depth"), Whole("batch"), Number("scale"), Number("damping"),
        Whole("refit-steps"), Whole("refit-batch"), Text("truth"), Whole("copies"), Text("speed-targets"), Whole("speed-depth"), seed),
    new("loki-groups", "LOKI item grouping (NMF + K-means) wall-clock on a dataset (--data ml-1m|ml-100k --groups 20 --rank 16 --repeats 3)", LokiBench.Groups,
        data, threads, repeats, targets, groups, Whole("rank"), Whole("iterations"), seed),
    new("loki-toy", "LOKI agent on real item groups with a target-share reward: training speed, greedy vs random target share (--data ml-100k --episodes 2000)", LokiBench.Toy,
        data, Whole("episodes"), Whole("m"), threads, seed, groups),
    new("loki-retrain", "seconds per profile of the exact retrain reward (--data ml-100k --kind bprmf --profiles 4 --epochs N)", LokiBench.Retrain,
        data, Text("kind"), profiles, threads, seed, Text("epochs"), Text("factors")),
    new("platform-memory", "peak memory of a platform serving a dataset with a trained victim (--data ml-1m)", PlatformBench.Memory, data, victim, dataDir),
    new("quality", "zoo quality: HR@10/NDCG@10 leave-last-out and Recall@50 (80/20) of every registered model on real data (--models --datasets --out)", QualityBench.Run,
        models, Text("datasets"), Text("protocols"), seed, threads, output, hp, dataDir, Whole("verbose"), Whole("fold-in")),
    new("speed", "zoo speed on ML-1M: s/epoch, users ranked/s, fold-in time of a 15-item history, per registered model (--models --epochs --out)", SpeedBench.Run,
        models, data, threads, seed, epochs, seconds, output, hp, dataDir),
    new("micro", "BenchmarkDotNet micro-benchmarks: top-K selection over a catalogue's scores, and scoring plus top-K of a trained BPR-MF (--filter '*TopK*')", MicroBench.Run,
        Text("filter", "BenchmarkDotNet's --filter glob (default: every micro-benchmark)"), Text("job", "short (default), medium or dry")),
];

var root = new RootCommand("PoisonRange benchmarks: dotnet run -c Release --project bench/PoisonRange.Bench -- <command> [options]");
foreach (var c in commands) root.Add(c.ToCommand());

var parsed = root.Parse(args);
if (args.Length == 0)
{
    Console.Error.WriteLine("Usage: dotnet run -c Release --project bench/PoisonRange.Bench -- <command> [options]  (bench <command> --help lists its options)");
    Console.Error.WriteLine("Commands:");
    foreach (var c in commands.OrderBy(c => c.Name, StringComparer.Ordinal))
        Console.Error.WriteLine($"  {c.Name,-16} {c.Description}");
    return 1;
}
if (parsed.Errors.Count > 0)
{
    // Unknown command or option, a missing value, a value of the wrong type: one line.
    // The root's "Required command was not provided" only repeats an unknown command's error.
    var errors = parsed.Errors.Select(e => e.Message).Where(m => !m.StartsWith("Required command", StringComparison.Ordinal)).DefaultIfEmpty(parsed.Errors[0].Message).ToList();
    var more = errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "";
    Console.Error.WriteLine($"error: {BenchOption.Explain(errors[0])}{more}; see --help");
    return 2;
}

try
{
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or FormatException)
{
    // Bad option values, a missing dataset or a malformed file: one line, no stack trace.
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
