using PoisonRange.Bench;

// Benchmarks of the recommender library and the platform. Each command is a name and a handler; add new ones to the table.
var commands = new Dictionary<string, BenchCommand>(StringComparer.OrdinalIgnoreCase)
{
    ["bprmf-epoch"] = new("train BPR-MF on a dataset; seconds per epoch (median) and users ranked per second", BprMfBench.Epoch),
    ["bprmf-quality"] = new("leave-last-out HR@10 of PopRec, BPR-MF and BPR-MF fold-in", BprMfBench.Quality),
    ["recommend"] = new("platform Recommend throughput and p50/p99 latency over loopback gRPC (--store memory|redis --clients 32)", PlatformBench.Recommend),
    ["limits"] = new("rate-limit exactness: admitted calls vs the query budget under concurrent clients (--store --clients --calls --budget)", PlatformBench.Limits),
    ["query-budget"] = new("simulator agreement with the platform on held-out probes vs probe queries, per leave-one-out victim (--data ml-100k --victims --budgets --holdout --repeats)", SimulatorBench.QueryBudget),
    ["influence"] = new("influence estimator vs warm-started refits: Pearson/Spearman over single fake profiles, cache build and scoring time for 1..50 targets (--model bprmf|gru4rec --data ml-100k)", InfluenceBench.Run),
    ["loki-groups"] = new("LOKI item grouping (NMF + K-means) wall-clock on a dataset (--data ml-1m|ml-100k --groups 20 --rank 16 --repeats 3)", LokiBench.Groups),
    ["loki-toy"] = new("LOKI agent on real item groups with a target-share reward: training speed, greedy vs random target share (--data ml-100k --episodes 2000)", LokiBench.Toy),
    ["loki-retrain"] = new("seconds per profile of the exact retrain reward (--data ml-100k --kind bprmf --profiles 4 --epochs N)", LokiBench.Retrain),
    ["platform-memory"] = new("peak memory of a platform serving a dataset with a trained victim (--data ml-1m)", PlatformBench.Memory),
    ["quality"] = new("zoo quality: HR@10/NDCG@10 leave-last-out and Recall@50 (80/20) of every registered model on real data (--models --datasets --out)", QualityBench.Run),
    ["speed"] = new("zoo speed on ML-1M: s/epoch, users ranked/s, fold-in time of a 15-item history, per registered model (--models --epochs --out)", SpeedBench.Run),
};

if (args.Length == 0 || !commands.TryGetValue(args[0], out var command))
{
    if (args.Length > 0) Console.Error.WriteLine($"Unknown command '{args[0]}'.");
    Console.Error.WriteLine("Usage: dotnet run -c Release --project bench/PoisonRange.Bench -- <command> [options]");
    Console.Error.WriteLine("Commands:");
    foreach (var (name, c) in commands.OrderBy(c => c.Key, StringComparer.Ordinal))
        Console.Error.WriteLine($"  {name,-16} {c.Description}");
    Console.Error.WriteLine("Common options: --data <path-or-name> (default ml-1m), --threads N, --epochs N, --factors N, --batch-size N, --seed N");
    return args.Length == 0 ? 1 : 2;
}

try
{
    return command.Run(BenchArguments.Parse(args.AsSpan(1)));
}
catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or FormatException)
{
    // Bad options, a missing dataset or a malformed file: one line, no stack trace.
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
