using System.Diagnostics;
using System.Globalization;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using PoisonRange.Client;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Data;
using PoisonRange.Platform;
using PoisonRange.Recommenders;
using PoisonRange.Simulator;

namespace PoisonRange.Bench;

/// <summary>
/// LOKI §4.8 (Fig. 10) for the simulator: agreement with the platform on held-out probes against
/// the number of probe queries used to fit the weights, per victim of the leave-one-out scenario.
/// </summary>
internal static class SimulatorBench
{
    private const string Operator = "bench-operator";
    private const string Key = "bench-simulator";

    public static int QueryBudget(BenchArguments args)
    {
        var data = args.String("data", "ml-100k");
        var dataDir = args.String("data-dir", PlatformBench.DefaultDataDirectory() ?? "");
        var victims = args.String("victims", "bprmf,fpmc,gru4rec,transrec").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var budgets = args.String("budgets", "0.0005,0.001,0.005,0.01,0.02").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(b => double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && v <= 1 ? v : throw new ArgumentException($"--budgets: '{b}' is not a fraction in [0, 1]."))
            .Order().ToArray();
        int heldOut = args.Int("holdout", 200);
        int repeats = args.Int("repeats", 5);
        int threads = args.Int("threads", 2);
        int k = args.Int("k", 10);
        ulong seed = (ulong)args.Int("seed", 1);
        if (heldOut < 1) throw new ArgumentException("--holdout must be at least 1.");
        if (repeats < 1) throw new ArgumentException("--repeats must be at least 1.");
        foreach (var v in victims)
            if (!SimulatorOptions.LokiKinds.Contains(v)) throw new ArgumentException($"--victims: '{v}' is not one of {string.Join(", ", SimulatorOptions.LokiKinds)}.");

        return Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            await using var platform = await PlatformHost.StartAsync(new PlatformHostOptions
            {
                OperatorToken = Operator,
                DataDirectory = string.IsNullOrEmpty(dataDir) ? null : dataDir,
                TrainThreads = threads,
            });
            using var refereeChannel = GrpcChannel.ForAddress(platform.RefereeAddress);
            var referee = new Referee.RefereeClient(refereeChannel.Intercept(m => { m.Add("authorization", $"Bearer {Operator}"); return m; }));
            using var client = new PlatformClient(new PlatformClientOptions
            {
                Address = platform.PlatformAddress.ToString(),
                AttackerKey = Key,
                RateLimitPerSecond = 0,
                Deadline = TimeSpan.FromMinutes(2),
            });

            InteractionDataset? train = null;
            IRecommender[]? models = null;
            var rows = new List<string>();
            try
            {
                foreach (var victim in victims)
                {
                    var configured = await referee.ConfigureAsync(Scenario(data, victim, seed));
                    Console.Error.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] platform: {data}, victim {victim} trained in {configured.TrainSeconds:F1} s ({configured.Users} users, {configured.Items} items, {configured.Interactions} interactions)");
                    if (train is null)
                    {
                        // The public data does not depend on the victim: crawl and train the four kinds once.
                        train = await SimulatorBuilder.CrawlAsync(client, 500, null, CancellationToken.None);
                        var progress = new Progress<SimulatorProgress>(p => { if (p.Phase == "train" && p.Message.StartsWith("training", StringComparison.Ordinal)) Console.Error.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {p.Message}"); });
                        var t0 = clock.Elapsed;
                        models = SimulatorBuilder.TrainModels(train, SimulatorOptions.LokiKinds.Select(kind => new LocalModelSpec(kind)).ToArray(), seed, threads, progress, CancellationToken.None);
                        Console.Error.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] crawl: {train}; four local models trained in {(clock.Elapsed - t0).TotalSeconds:F0} s");
                    }
                    rows.AddRange(await RunVictimAsync(client, train, models!, victim, budgets, heldOut, repeats, k, seed, threads, clock));
                }
            }
            finally
            {
                if (models is not null) foreach (var m in models) m.Dispose();
            }

            Console.WriteLine();
            Console.WriteLine($"query-budget: {data}, K = {k}, {heldOut} held-out probes per victim, median of {repeats} random fit subsets per budget, seed {seed}, {threads} threads, {clock.Elapsed.TotalMinutes:F1} min");
            Console.WriteLine("| victim | budget (% of train) | fit queries | ensemble Kendall | ensemble overlap@10 | best single (kind) | best single Kendall | best single overlap@10 | τ (median) | weights (full pool) | victim's kind, trained locally: Kendall / overlap |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |");
            foreach (var row in rows) Console.WriteLine(row);
        });
    }

    private static async Task<List<string>> RunVictimAsync(
        PlatformClient client, InteractionDataset train, IRecommender[] all, string victim, double[] budgets,
        int heldOut, int repeats, int k, ulong seed, int threads, Stopwatch clock)
    {
        var local = SimulatorOptions.LokiKinds.Select((kind, i) => (kind, all[i])).Where(m => m.kind != victim).ToArray();
        var own = SimulatorOptions.LokiKinds.Select((kind, i) => (kind, all[i])).Single(m => m.kind == victim);
        int pool = (int)Math.Round(budgets[^1] * train.InteractionCount, MidpointRounding.AwayFromZero);
        var options = new SimulatorOptions { K = k, Seed = seed, Threads = threads, ProbeConcurrency = 8, ProbeHistoryLength = 15 };
        // One run of probes: the fit pool (the largest budget) first, then the held-out probes.
        var plan = new ProbePlan(pool + heldOut, pool + heldOut, pool, heldOut, options.ProbeHistoryLength, k, false, "bench");
        var before = client.Counters.Snapshot();
        var run = await SimulatorBuilder.RunProbesAsync(client, train, plan, options, null, CancellationToken.None);
        var spent = client.Counters.Snapshot() - before;
        if (run.Stopped) throw new InvalidOperationException($"probing stopped: {run.StopReason}");
        Console.Error.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {victim}: {run.Probes.Count} probes ({spent.Queries} queries, {run.Actions} actions, {run.Accounts} accounts)");

        var scores = ProbeScores.Compute(local, run.Probes, k, options.VoteDepth, threads);
        var ownScores = ProbeScores.Compute([own], run.Probes, k, options.VoteDepth, threads);
        var held = Enumerable.Range(pool, heldOut).ToArray();
        var ownRef = $"{ownScores.MeanDistance(held)[0]:0.000} / {ownScores.MeanOverlap(held)[0]:0.000}";
        var rng = SeededRandom.Derive(seed, 0x51554552UL);
        var rows = new List<string>();
        var uniform = WeightFitter.Uniform(local.Length);
        var (uk, uo) = scores.EnsembleAgreement(held, uniform);
        rows.Add($"| {victim} | 0 | 0 | {uk:0.000} | {uo:0.000} | (none: uniform) | – | – | – | uniform | {ownRef} |");
        foreach (var budget in budgets)
        {
            int n = (int)Math.Round(budget * train.InteractionCount, MidpointRounding.AwayFromZero);
            var ek = new List<double>(); var eo = new List<double>(); var bk = new List<double>(); var bo = new List<double>(); var temps = new List<double>();
            var kinds = new List<string>();
            for (int r = 0; r < repeats; r++)
            {
                var fit = Subset(pool, n, rng);
                var w = WeightFitter.Fit(scores, fit, options);
                var (kendall, overlap) = scores.EnsembleAgreement(held, w.Weights);
                ek.Add(kendall); eo.Add(overlap);
                var best = w.LinearChoice;
                bk.Add(scores.MeanDistance(held)[best]); bo.Add(scores.MeanOverlap(held)[best]);
                kinds.Add(local[best].kind);
                if (w.Temperature is { } t) temps.Add(t);
            }
            var full = WeightFitter.Fit(scores, Enumerable.Range(0, n).ToArray(), options);
            var weights = string.Join(" ", local.Select((m, i) => $"{m.kind} {full.Weights[i]:0.00}"));
            var bestKinds = string.Join("/", kinds.GroupBy(x => x).OrderByDescending(g => g.Count()).Select(g => g.Count() == repeats ? g.Key : $"{g.Key}×{g.Count()}"));
            rows.Add($"| {victim} | {budget * 100:0.###} | {n} | {Median(ek):0.000} | {Median(eo):0.000} | {bestKinds} | {Median(bk):0.000} | {Median(bo):0.000} | {(temps.Count > 0 ? Median(temps).ToString("0.###", CultureInfo.InvariantCulture) : "–")} | {weights} | {ownRef} |");
            Console.Error.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {rows[^1]}");
        }
        return rows;
    }

    /// <summary>n distinct indices of 0..pool-1 in random order (all of them when n ≥ pool).</summary>
    private static int[] Subset(int pool, int n, SeededRandom rng)
    {
        var all = Enumerable.Range(0, pool).ToArray();
        for (int i = all.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return all[..Math.Min(n, pool)];
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>LOKI's protocol: 5-core, leave-last-two-out, no retraining during the probes, 15 actions per account.</summary>
    private static Scenario Scenario(string data, string victim, ulong seed) => new()
    {
        Name = "query-budget",
        Seed = seed,
        Dataset = new DatasetSpec { Source = data, MinInteractions = 5, LeaveLastTwoOut = true },
        Victim = new VictimSpec { Kind = victim },
        Limits = new Limits
        {
            ActionsPerAccount = 15,
            AccountsPerKey = 1_000_000,
            QueriesPerAccountPerWindow = -1,
            QueryBudgetPerKey = -1,
            KMax = 100,
        },
        AttackerKeys = { Key },
    };

    private static int Run(Func<Task> body)
    {
        body().GetAwaiter().GetResult();
        return 0;
    }
}
