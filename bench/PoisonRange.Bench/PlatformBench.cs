using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Platform;
using PlatformApi = PoisonRange.Contracts.Platform.V1.Platform;

namespace PoisonRange.Bench;

/// <summary>Benchmarks of the platform service over loopback gRPC.</summary>
internal static class PlatformBench
{
    private const string Operator = "bench-operator";
    private const string Key = "bench-attacker";

    /// <summary>Recommend throughput and p50/p99 latency with N concurrent clients.</summary>
    public static int Recommend(BenchArguments args)
    {
        var store = args.String("store", "memory");
        int clients = args.Int("clients", 32);
        int seconds = args.Int("seconds", 10);
        int warmup = args.Int("warmup", 2);
        int channels = args.Int("channels", 4);
        var data = args.String("data", "synthetic");
        var victim = args.String("victim", "bprmf");
        var dataDir = args.String("data-dir", DefaultDataDirectory() ?? "");
        return Run(async () =>
        {
            await using var redis = store == "redis" ? await RedisServer.StartAsync() : null;
            await using var platform = await StartAsync(store, redis, dataDir);
            var referee = RefereeClient(platform);
            var scenario = MakeScenario(data, victim, l =>
            {
                l.QueriesPerAccountPerWindow = -1;
                l.QueryBudgetPerKey = -1;
            });
            var configured = await referee.ConfigureAsync(scenario);
            Console.WriteLine($"platform: {store} store, {data} ({configured.Users} users, {configured.Items} items), {victim} trained in {configured.TrainSeconds:F1} s");

            var pool = Enumerable.Range(0, Math.Max(1, channels)).Select(_ => AttackerClient(platform)).ToArray();
            var items = (await pool[0].ListItemsAsync(new ListItemsRequest { PageSize = 1000 })).Items.Select(i => i.ItemId).ToArray();
            var accounts = new string[clients];
            for (int c = 0; c < clients; c++)
            {
                accounts[c] = (await pool[0].RegisterAsync(new RegisterRequest())).AccountId;
                var record = new RecordRequest { AccountId = accounts[c] };
                for (int i = 0; i < 15; i++) record.Interactions.Add(new Interaction { ItemId = items[(c * 37 + i * 11) % items.Length] });
                await pool[0].RecordAsync(record);
            }

            var latencies = new List<double>[clients];
            long calls = 0;
            var measureFrom = Stopwatch.GetTimestamp() + (long)(warmup * Stopwatch.Frequency);
            var end = measureFrom + (long)(seconds * Stopwatch.Frequency);
            var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                var client = pool[c % pool.Length];
                var mine = latencies[c] = new List<double>(100_000);
                var request = new RecommendRequest { AccountId = accounts[c], K = 10 };
                while (true)
                {
                    long start = Stopwatch.GetTimestamp();
                    if (start >= end) break;
                    await client.RecommendAsync(request);
                    long stop = Stopwatch.GetTimestamp();
                    if (start >= measureFrom)
                    {
                        mine.Add((stop - start) * 1000.0 / Stopwatch.Frequency);
                        Interlocked.Increment(ref calls);
                    }
                }
            })).ToArray();
            await Task.WhenAll(tasks);
            var all = latencies.SelectMany(l => l).Order().ToArray();
            Console.WriteLine($"recommend: {clients} clients over {pool.Length} channels, {seconds} s measured after {warmup} s warm-up");
            Console.WriteLine($"  calls {calls}, throughput {calls / (double)seconds:F0} queries/s");
            Console.WriteLine($"  latency ms: p50 {Percentile(all, 0.50):F2}  p90 {Percentile(all, 0.90):F2}  p99 {Percentile(all, 0.99):F2}  max {all[^1]:F2}");
            Console.WriteLine($"  process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):F0} MiB");
        });
    }

    /// <summary>Admitted calls never exceed the budget: many concurrent clients, many calls.</summary>
    public static int Limits(BenchArguments args)
    {
        var store = args.String("store", "memory");
        int clients = args.Int("clients", 64);
        int calls = args.Int("calls", 100_000);
        int budget = args.Int("budget", 50_000);
        return Run(async () =>
        {
            await using var redis = store == "redis" ? await RedisServer.StartAsync() : null;
            await using var platform = await StartAsync(store, redis, null);
            var referee = RefereeClient(platform);
            await referee.ConfigureAsync(MakeScenario("synthetic", "poprec", l =>
            {
                l.QueriesPerAccountPerWindow = -1;
                l.QueryBudgetPerKey = budget;
            }));
            var pool = Enumerable.Range(0, 4).Select(_ => AttackerClient(platform)).ToArray();
            var accounts = new string[clients];
            for (int c = 0; c < clients; c++) accounts[c] = (await pool[0].RegisterAsync(new RegisterRequest())).AccountId;
            long admitted = 0, rejected = 0, issued = 0;
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                var client = pool[c % pool.Length];
                var request = new RecommendRequest { AccountId = accounts[c], K = 5 };
                while (Interlocked.Increment(ref issued) <= calls)
                {
                    try
                    {
                        await client.RecommendAsync(request);
                        Interlocked.Increment(ref admitted);
                    }
                    catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                    {
                        Interlocked.Increment(ref rejected);
                    }
                }
            })));
            var quota = await pool[0].GetQuotaAsync(new GetQuotaRequest());
            Console.WriteLine($"limits: {store} store, {clients} clients, {calls} calls in {sw.Elapsed.TotalSeconds:F1} s, budget {budget}");
            Console.WriteLine($"  admitted {admitted}, rejected {rejected}, platform's count {quota.QueriesUsed}: {(admitted == budget && quota.QueriesUsed == budget ? "exact" : "NOT EXACT")}");
            if (admitted != Math.Min(budget, calls)) throw new InvalidOperationException("The budget was not held exactly.");
        });
    }

    /// <summary>Peak memory of a platform serving a dataset with a trained victim.</summary>
    public static int Memory(BenchArguments args)
    {
        var data = args.String("data", "ml-1m");
        var victim = args.String("victim", "bprmf");
        var dataDir = args.String("data-dir", DefaultDataDirectory() ?? "");
        return Run(async () =>
        {
            var before = Process.GetCurrentProcess().WorkingSet64;
            await using var platform = await StartAsync("memory", null, dataDir);
            var referee = RefereeClient(platform);
            var configured = await referee.ConfigureAsync(MakeScenario(data, victim, l => l.QueriesPerAccountPerWindow = -1));
            var client = AttackerClient(platform);
            var account = (await client.RegisterAsync(new RegisterRequest())).AccountId;
            for (int i = 0; i < 1000; i++) await client.RecommendAsync(new RecommendRequest { AccountId = account, K = 10 });
            GC.Collect();
            var process = Process.GetCurrentProcess();
            Console.WriteLine($"memory: {data} ({configured.Users} users, {configured.Items} items, {configured.Interactions} interactions), {victim} trained in {configured.TrainSeconds:F1} s");
            Console.WriteLine($"  working set before start {before / (1024.0 * 1024):F0} MiB, now {process.WorkingSet64 / (1024.0 * 1024):F0} MiB, peak {process.PeakWorkingSet64 / (1024.0 * 1024):F0} MiB, managed heap {GC.GetTotalMemory(false) / (1024.0 * 1024):F0} MiB");
        });
    }

    private static int Run(Func<Task> body)
    {
        body().GetAwaiter().GetResult();
        return 0;
    }

    private static async Task<RunningPlatform> StartAsync(string store, RedisServer? redis, string? dataDir) =>
        await PlatformHost.StartAsync(new PlatformHostOptions
        {
            OperatorToken = Operator,
            StoreKind = store,
            Redis = redis?.ConnectionString,
            DataDirectory = string.IsNullOrEmpty(dataDir) ? null : dataDir,
        });

    private static Scenario MakeScenario(string data, string victim, Action<Limits> limits)
    {
        var s = new Scenario
        {
            Name = "bench",
            Seed = 1,
            Dataset = new DatasetSpec { Source = data },
            Victim = new VictimSpec { Kind = victim },
            Limits = new Limits { ActionsPerAccount = 100, AccountsPerKey = 10_000 },
            AttackerKeys = { Key },
        };
        limits(s.Limits);
        return s;
    }

    private static Referee.RefereeClient RefereeClient(RunningPlatform p) =>
        new(GrpcChannel.ForAddress(p.RefereeAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 })
            .Intercept(m => { m.Add("authorization", $"Bearer {Operator}"); return m; }));

    private static PlatformApi.PlatformClient AttackerClient(RunningPlatform p) =>
        new(GrpcChannel.ForAddress(p.PlatformAddress).Intercept(m => { m.Add("authorization", $"Bearer {Key}"); return m; }));

    private static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

    internal static string? DefaultDataDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Microservices.sln")))
            {
                var shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                return Directory.Exists(shared) ? shared : null;
            }
        return null;
    }
}
