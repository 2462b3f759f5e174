using PoisonRange.Client;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Data;
using PoisonRange.Recommenders;

namespace PoisonRange.Simulator;

/// <summary>
/// How many probes a build sends and how they split. <see cref="Fit"/> probes fit the weights,
/// the last <see cref="HeldOut"/> (in sampling order) only measure agreement; both spend budget.
/// </summary>
public sealed record ProbePlan(long Requested, int Total, int Fit, int HeldOut, int HistoryLength, int K, bool Degraded, string Message);

/// <summary>The probes that completed and what they spent.</summary>
public sealed record ProbeRun(IReadOnlyList<Probe> Probes, long Actions, int Accounts, bool Stopped, string? StopReason);

/// <summary>
/// Builds a <see cref="SimulatorEnsemble"/>: crawl the public data → train the local models →
/// probe the platform with fresh accounts → fit the weights. Each step is public so that
/// experiments can reuse a crawl or trained models.
/// </summary>
public static class SimulatorBuilder
{
    /// <summary>Crawl, train, probe and fit, within the options' budget; progress per phase.</summary>
    /// <exception cref="ArgumentException">Invalid options (unknown model kind, bad hyper-parameter, negative budget, ...).</exception>
    /// <exception cref="InvalidOperationException">The crawl gave no interactions to train on.</exception>
    public static async Task<SimulatorEnsemble> BuildAsync(
        PlatformClient client,
        SimulatorOptions options,
        IProgress<SimulatorProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options = options.Clone();
        options.Validate();
        var specs = options.EffectiveModels();
        foreach (var spec in specs) RecommenderFactory.Describe(spec.Kind);

        var before = client.Counters.Snapshot();
        var train = await CrawlAsync(client, options.CrawlPageSize, progress, cancellationToken, options.ExcludeUsers).ConfigureAwait(false);
        var models = TrainModels(train, specs, options.Seed, options.Threads, progress, cancellationToken);
        try
        {
            var plan = await PlanProbesAsync(client, train, options, cancellationToken).ConfigureAwait(false);
            var run = await RunProbesAsync(client, train, plan, options, progress, cancellationToken).ConfigureAwait(false);
            var spent = client.Counters.Snapshot() - before;
            return Assemble(train, specs, models, run, plan, spent, options, progress, cancellationToken);
        }
        catch
        {
            foreach (var m in models) m.Dispose();
            throw;
        }
    }

    /// <summary>The catalogue and every public history, as the attacker's dataset.</summary>
    public static async Task<InteractionDataset> CrawlAsync(
        PlatformClient client, int pageSize, IProgress<SimulatorProgress>? progress, CancellationToken cancellationToken, IReadOnlySet<string>? excludeUsers = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        progress?.Report(new SimulatorProgress("crawl", 0, 0, "listing the catalogue"));
        var items = await client.ListAllItemsAsync(1000, cancellationToken).ConfigureAwait(false);
        var crawlProgress = progress is null ? null : new Progress<CrawlProgress>(p =>
            progress.Report(new SimulatorProgress("crawl", p.Users, p.TotalUsers, $"{p.Pages} pages, {p.Users} users")));
        var histories = await client.CrawlAsync(pageSize, crawlProgress, cancellationToken).ConfigureAwait(false);
        var train = AttackerView.FromCrawl(histories, items.Select(i => i.ItemId), new AttackerViewOptions { Name = "platform-crawl", ExcludeUsers = excludeUsers }, out var stats);
        if (train.InteractionCount == 0)
            throw new InvalidOperationException($"The crawl returned no usable interactions ({stats.Users} users, {stats.Items} items): nothing to train the local models on.");
        progress?.Report(new SimulatorProgress("crawl", stats.Users, stats.Users,
            $"{stats.Users} users, {stats.Items} items, {stats.Interactions} interactions" + (stats.ExcludedUsers > 0 ? $", {stats.ExcludedUsers} own accounts left out" : "")));
        return train;
    }

    /// <summary>Trains one model per spec on <paramref name="train"/>, in order; the caller owns the models.</summary>
    public static IRecommender[] TrainModels(
        InteractionDataset train,
        IReadOnlyList<LocalModelSpec> specs,
        ulong seed,
        int threads,
        IProgress<SimulatorProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(specs);
        var models = new List<IRecommender>();
        try
        {
            for (int m = 0; m < specs.Count; m++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var spec = specs[m];
                var model = RecommenderFactory.Create(spec.Kind.Trim(), spec.HyperParameters, ModelSeed(seed, m), threads);
                models.Add(model);
                progress?.Report(new SimulatorProgress("train", m, specs.Count, $"training {spec}"));
                var epochs = progress is null ? null : new Progress<TrainProgress>(p =>
                    progress.Report(new SimulatorProgress("train", m, specs.Count, $"{spec.Kind}: epoch {p.Epoch}/{p.Epochs}, loss {p.Loss:0.####}")));
                model.Fit(train, epochs, cancellationToken);
            }
            progress?.Report(new SimulatorProgress("train", specs.Count, specs.Count, "local models trained"));
            return [.. models];
        }
        catch
        {
            foreach (var model in models) model.Dispose();
            throw;
        }
    }

    /// <summary>The seed of the model at <paramref name="index"/> of the ensemble.</summary>
    public static ulong ModelSeed(ulong seed, int index)
    {
        ulong state = seed ^ (0x9E3779B97F4A7C15UL * (ulong)(index + 1));
        return SeededRandom.SplitMix64(ref state);
    }

    /// <summary>
    /// The probe count: the options' count or fraction of the training interactions, lowered to
    /// the budget given (MaxQueries, MaxActions, MaxAccounts) and to what the platform's quota
    /// has left (GetQuota, which is not a query). History length and K are lowered to the
    /// platform's per-account action limit and k_max.
    /// </summary>
    public static async Task<ProbePlan> PlanProbesAsync(PlatformClient client, InteractionDataset train, SimulatorOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        long requested = options.ProbeQueries ?? (long)Math.Round(options.ProbeFraction * train.InteractionCount, MidpointRounding.AwayFromZero);
        if (requested == 0)
            return new ProbePlan(0, 0, 0, 0, options.ProbeHistoryLength, options.K, false,
                "zero probe budget: no queries sent, uniform weights");
        var quota = await client.GetQuotaAsync(cancellationToken).ConfigureAwait(false);
        return Plan(requested, train, options, quota);
    }

    /// <summary>The planning arithmetic of <see cref="PlanProbesAsync"/> (no platform call).</summary>
    public static ProbePlan Plan(long requested, InteractionDataset train, SimulatorOptions options, QuotaReply quota)
    {
        int history = options.ProbeHistoryLength;
        int k = options.K;
        var notes = new List<string>();
        if (quota.MaxActionsPerAccount > 0 && history > quota.MaxActionsPerAccount)
        {
            history = quota.MaxActionsPerAccount;
            notes.Add($"probe histories cut to the platform's {history} actions per account");
        }
        if (quota.KMax > 0 && k > quota.KMax)
        {
            k = quota.KMax;
            notes.Add($"K lowered to the platform's k_max {k}");
        }
        long total = requested;
        string? binding = null;
        void Cap(long limit, string why)
        {
            if (limit < total) { total = Math.Max(0, limit); binding = why; }
        }
        if (options.MaxQueries is { } mq) Cap(mq, $"the query budget given ({mq})");
        if (options.MaxAccounts is { } ma) Cap(ma, $"the account budget given ({ma})");
        if (options.MaxActions is { } mact) Cap(mact / history, $"the action budget given ({mact} actions, {history} per probe)");
        if (quota.QueryBudget > 0) Cap(quota.QueryBudget - quota.QueriesUsed, $"the platform's remaining query budget ({quota.QueryBudget - quota.QueriesUsed})");
        if (quota.AccountsLimit > 0) Cap(quota.AccountsLimit - quota.Accounts, $"the platform's remaining accounts ({quota.AccountsLimit - quota.Accounts})");
        if (!train.Sequences.Any(s => s.Length >= 2)) Cap(0, "no crawled user has two or more interactions to sample a probe history from");
        int n = (int)Math.Min(total, int.MaxValue);
        int heldOut = n >= 2 && options.HoldoutFraction > 0 ? Math.Max(1, (int)Math.Floor(n * options.HoldoutFraction)) : 0;
        bool degraded = n < requested;
        if (degraded) notes.Insert(0, $"{n} of {requested} probe queries: limited by {binding}");
        notes.Add($"{n} probes: {n - heldOut} fit the weights, {heldOut} held out for agreement");
        if (n == 0) notes.Add("uniform weights");
        return new ProbePlan(requested, n, n - heldOut, heldOut, history, k, degraded, string.Join("; ", notes));
    }

    /// <summary>
    /// Registers one account per probe, records its history (a window of a crawled user's
    /// sequence) and asks the platform for its top-K: one Register, one Record and one Recommend
    /// per probe. A platform limit stops the run; the probes completed so far are kept.
    /// </summary>
    public static async Task<ProbeRun> RunProbesAsync(
        PlatformClient client,
        InteractionDataset train,
        ProbePlan plan,
        SimulatorOptions options,
        IProgress<SimulatorProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Total == 0) return new ProbeRun([], 0, 0, false, null);
        var samples = SampleHistories(train, plan.Total, plan.HistoryLength, options.Seed);
        var results = new Probe?[plan.Total];
        long actions = 0;
        int accounts = 0, done = 0;
        string? stopReason = null;
        var runId = Guid.NewGuid().ToString("N")[..12];
        long baseTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        progress?.Report(new SimulatorProgress("probe", 0, plan.Total, plan.Message));
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, plan.Total),
                new ParallelOptions { MaxDegreeOfParallelism = options.ProbeConcurrency, CancellationToken = stop.Token },
                async (i, token) =>
                {
                    var (user, history) = samples[i];
                    try
                    {
                        var account = await client.RegisterAsync($"simulator-{runId}-{i}", token).ConfigureAwait(false);
                        Interlocked.Increment(ref accounts);
                        var interactions = history.Select((item, j) => new Interaction { ItemId = train.ItemIds[item], TimestampMs = baseTime + j });
                        var reply = await client.RecordAsync(account, interactions, $"simulator-{runId}-{i}-record", token).ConfigureAwait(false);
                        Interlocked.Add(ref actions, reply.Accepted);
                        var answer = await client.RecommendAsync(account, plan.K, token).ConfigureAwait(false);
                        var topK = answer.Select(id => train.TryGetItem(id, out var item) ? item : -1).Where(item => item >= 0).ToArray();
                        results[i] = new Probe(user, account, history, topK, i >= plan.Fit);
                        var n = Interlocked.Increment(ref done);
                        progress?.Report(new SimulatorProgress("probe", n, plan.Total, $"{n}/{plan.Total} probes answered"));
                    }
                    catch (PlatformLimitException ex)
                    {
                        Interlocked.CompareExchange(ref stopReason, ex.Message, null);
                        await stop.CancelAsync().ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopReason is not null && !cancellationToken.IsCancellationRequested)
        {
            // A platform limit stopped the run: keep what completed.
        }
        var probes = results.Where(p => p is not null).Select(p => p!).ToArray();
        return new ProbeRun(probes, actions, accounts, stopReason is not null, stopReason);
    }

    /// <summary>
    /// Probe histories: crawled users with two or more interactions in a seeded random order
    /// (cycling when there are more probes than users), each a random contiguous window of at
    /// most <paramref name="length"/> items of the user's sequence.
    /// </summary>
    public static (int User, int[] History)[] SampleHistories(InteractionDataset train, int count, int length, ulong seed)
    {
        var eligible = Enumerable.Range(0, train.UserCount).Where(u => train.Sequences[u].Length >= 2).ToArray();
        if (count > 0 && eligible.Length == 0) throw new InvalidOperationException("No crawled user has two or more interactions to sample a probe history from.");
        var rng = SeededRandom.Derive(seed, 0x50524F4245UL);
        var result = new (int, int[])[count];
        int[] order = [];
        for (int i = 0; i < count; i++)
        {
            if (i % Math.Max(1, eligible.Length) == 0)
            {
                order = (int[])eligible.Clone();
                for (int j = order.Length - 1; j > 0; j--)
                {
                    int r = rng.Next(j + 1);
                    (order[j], order[r]) = (order[r], order[j]);
                }
            }
            int user = order[i % order.Length];
            var seq = train.Sequences[user];
            int len = Math.Min(length, seq.Length);
            int start = rng.Next(seq.Length - len + 1);
            result[i] = (user, seq[start..(start + len)]);
        }
        return result;
    }

    /// <summary>Scores the probes with the local models, fits the weights and measures agreement on the held-out probes.</summary>
    public static SimulatorEnsemble Assemble(
        InteractionDataset train,
        IReadOnlyList<LocalModelSpec> specs,
        IReadOnlyList<IRecommender> models,
        ProbeRun run,
        ProbePlan plan,
        PlatformCallSnapshot spent,
        SimulatorOptions options,
        IProgress<SimulatorProgress>? progress,
        CancellationToken cancellationToken)
    {
        progress?.Report(new SimulatorProgress("fit", 0, run.Probes.Count, $"ranking {run.Probes.Count} probe histories with {models.Count} models"));
        var kinds = specs.Select(s => s.Kind.Trim().ToLowerInvariant()).ToArray();
        var scores = ProbeScores.Compute(kinds.Zip(models).ToArray(), run.Probes, plan.K, Math.Max(options.VoteDepth, plan.K), options.Threads, cancellationToken);
        var agreement = Evaluate(scores, options, plan.Total == 0 ? plan.Message : null);
        var local = kinds.Select((k, m) => new LocalModel(k, models[m], agreement.Models[m].Weight)).ToArray();

        var message = plan.Message;
        if (run.Stopped) message += $"; stopped early after {run.Probes.Count} probes: {run.StopReason}";
        var spend = new SimulatorSpend(plan.Requested, plan.Total, spent.Queries, run.Actions, run.Accounts, spent.CrawlPages,
            spent.Calls, spent.Retries, plan.Degraded || run.Stopped, message);
        progress?.Report(new SimulatorProgress("fit", run.Probes.Count, run.Probes.Count, agreement.Message));
        return new SimulatorEnsemble(local, specs.Select(s => s.HyperParameters).ToArray(), train, agreement, spend,
            plan.K, Math.Max(options.VoteDepth, plan.K), options.Seed, options.Threads, run.Probes.Select(p => p.AccountId).ToArray());
    }

    /// <summary>Weights from the fit probes, agreement figures from the held-out probes.</summary>
    public static SimulatorAgreement Evaluate(ProbeScores scores, SimulatorOptions options, string? uniformReason = null)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var fitIdx = Enumerable.Range(0, scores.Probes.Count).Where(p => !scores.Probes[p].HeldOut).ToArray();
        var heldIdx = Enumerable.Range(0, scores.Probes.Count).Where(p => scores.Probes[p].HeldOut).ToArray();
        var fit = WeightFitter.Fit(scores, fitIdx, options);
        var heldDistance = scores.MeanDistance(heldIdx);
        var heldOverlap = scores.MeanOverlap(heldIdx);
        var (ensKendall, ensOverlap) = scores.EnsembleAgreement(heldIdx, fit.Weights);
        var models = scores.Kinds.Select((k, m) => new ModelAgreement(k, fit.Weights[m], fit.FitDistance[m], heldDistance[m], heldOverlap[m])).ToArray();
        int best = fit.LinearChoice;
        var message = fit.Method == WeightMethod.Uniform && uniformReason is not null ? uniformReason : fit.Message;
        if (heldIdx.Length == 0) message += "; no held-out probes, so no agreement figures";
        return new SimulatorAgreement(models, ensKendall, ensOverlap,
            best >= 0 ? scores.Kinds[best] : null,
            best >= 0 ? heldDistance[best] : double.NaN,
            best >= 0 ? heldOverlap[best] : double.NaN,
            fitIdx.Length, heldIdx.Length, scores.K, fit.Temperature, fit.Method, message);
    }
}
