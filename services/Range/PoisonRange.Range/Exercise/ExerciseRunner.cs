using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Grpc.Core;
using PoisonRange.Client;
using PoisonRange.Client.Profiles;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Range.Reports;
using PoisonRange.Range.Scenarios;
using PoisonRange.Range.Targets;

namespace PoisonRange.Range.Exercise;

/// <summary>How one run is identified and where it writes.</summary>
/// <param name="Command">"exercise" or "inject".</param>
/// <param name="Mode">"embedded" or "remote".</param>
/// <param name="DatasetSource">The dataset source as the platform must see it (paths made absolute in embedded mode).</param>
public sealed record RunSettings(string RunId, string Command, string Mode, string OutputDirectory, string DatasetSource);

/// <summary>
/// Drives one exercise through the services' gRPC APIs only. Per seed: Configure → choose targets
/// from the public view → Retrain → Evaluate gives the clean baseline, shared by every attack; then
/// per attack: Configure (fresh, same seed) → Generate (agent) or read a saved profiles file →
/// Inject (injector) → Retrain → Evaluate, and the referee's ground truth of attacker accounts.
/// </summary>
public sealed class ExerciseRunner
{
    private readonly RangeScenario _scenario;
    private readonly RangeServices _services;
    private readonly RunSettings _settings;
    private readonly IExerciseObserver _observer;
    private readonly List<string> _warnings = [];

    public ExerciseRunner(RangeScenario scenario, RangeServices services, RunSettings settings, IExerciseObserver? observer = null)
    {
        _scenario = scenario;
        _services = services;
        _settings = settings;
        _observer = observer ?? NullExerciseObserver.Instance;
    }

    public async Task<RangeReport> RunAsync(CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        using var meter = new PhaseMeter();

        var attacks = _scenario.Attacks.Select(a => AttackSpec.TryParse(a, out var spec, out _) ? spec! : throw new RangeException($"bad attack '{a}'")).ToList();
        await CheckStrategiesAsync(attacks, ct).ConfigureAwait(false);
        var files = ReadProfileFiles(attacks);

        var runs = new List<SeedRun>();
        foreach (var seed in _scenario.ResolvedSeeds())
            runs.Add(await RunSeedAsync(seed, attacks, files, meter, ct).ConfigureAwait(false));

        clock.Stop();
        return new RangeReport
        {
            RunId = _settings.RunId,
            Command = _settings.Command,
            Mode = _settings.Mode,
            StartedUtc = started,
            FinishedUtc = DateTimeOffset.UtcNow,
            WallSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
            PeakMemoryBytes = meter.RunPeakBytes,
            Versions = CurrentVersions(),
            Endpoints = new EndpointInfo(
                _services.Endpoints.Platform.ToString(),
                _services.Endpoints.Referee.ToString(),
                _services.Endpoints.Agent?.ToString(),
                _services.Endpoints.Injector?.ToString()),
            Scenario = WithoutCredentials(_scenario),
            Seeds = _scenario.ResolvedSeeds(),
            Runs = runs,
            Summary = AttackSummary.Summarize(runs),
            Warnings = _warnings,
        };
    }

    /// <summary>A copy of the scenario for the report, without the attacker key (tokens are never part of a scenario).</summary>
    private static RangeScenario WithoutCredentials(RangeScenario scenario)
    {
        var copy = System.Text.Json.JsonSerializer.Deserialize<RangeScenario>(ScenarioFile.ToJson(scenario), ScenarioFile.JsonOptions)!;
        copy.FillMissingSections();
        copy.Services.AttackerKey = null;
        return copy;
    }

    /// <summary>Fails fast, before any training, on an attack the agent does not offer.</summary>
    private async Task CheckStrategiesAsync(IReadOnlyList<AttackSpec> attacks, CancellationToken ct)
    {
        var wanted = attacks.Where(a => a.NeedsAgent).Select(a => a.Strategy).Distinct().ToList();
        if (wanted.Count == 0) return;
        var agent = _services.Agent ?? throw new RangeException("attacks need the agent, but no agent address was given (--agent)");
        var reply = await _services.CallAsync("agent", "ListStrategies",
            () => agent.ListStrategiesAsync(new ListStrategiesRequest(), RangeServices.Call(RangeServices.ShortCall, ct)).ResponseAsync, ct).ConfigureAwait(false);
        var known = reply.Strategies.Select(s => StrategyKey(s.Name)).ToHashSet(StringComparer.Ordinal);
        var unknown = wanted.Where(w => !known.Contains(StrategyKey(w))).ToList();
        if (unknown.Count > 0)
        {
            var offered = reply.Strategies.Select(s => s.Name).Prepend(AttackSpec.None).Distinct(StringComparer.OrdinalIgnoreCase);
            throw new RangeException($"unknown attack '{unknown[0]}'; the agent offers: {string.Join(", ", offered)}");
        }
        if (attacks.Any(a => a.NeedsInjector) && _services.Injector is null)
            throw new RangeException("attacks need the injector, but no injector address was given (--injector)");
    }

    /// <summary>Strategy names compare as the agent compares them: case-insensitive, without '-' and '_'.</summary>
    private static string StrategyKey(string name) => name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    private Dictionary<string, FakeProfileDocument> ReadProfileFiles(IReadOnlyList<AttackSpec> attacks)
    {
        var files = new Dictionary<string, FakeProfileDocument>(StringComparer.Ordinal);
        foreach (var a in attacks.Where(a => a.File is not null))
        {
            FakeProfileDocument doc;
            try
            {
                doc = FakeProfileFile.Read(a.File!);
            }
            catch (FakeProfileFileException e)
            {
                throw new RangeException($"bad profiles file {e.Message}", e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RangeException($"cannot read profiles file {a.File}: {e.Message}", e);
            }
            int longest = doc.Profiles.Count == 0 ? 0 : doc.Profiles.Max(p => p.Interactions.Count);
            int limit = ActionsPerAccount();
            if (limit > 0 && longest > limit)
                throw new RangeException($"profiles file {a.File} holds profiles of up to {longest} actions, above the platform's limit of {limit} per account; pass --actions {longest}");
            files[a.File!] = doc;
        }
        return files;
    }

    private int ActionsPerAccount() =>
        _scenario.Platform.Limits.ActionsPerAccount != 0 ? _scenario.Platform.Limits.ActionsPerAccount : _scenario.Budget.ActionsPerUser;

    private async Task<SeedRun> RunSeedAsync(ulong seed, IReadOnlyList<AttackSpec> attacks, IReadOnlyDictionary<string, FakeProfileDocument> files, PhaseMeter meter, CancellationToken ct)
    {
        var scope = $"seed {seed} · baseline";
        var phases = new List<Phase>();

        var configured = await PhaseAsync(scope, "configure", phases, meter, () => ConfigureAsync(seed, ct)).ConfigureAwait(false);
        var (targetItems, targetUsers) = await PhaseAsync(scope, "targets", phases, meter, () => ChooseTargetsAsync(seed, scope, ct)).ConfigureAwait(false);
        await PhaseAsync(scope, "retrain", phases, meter, () => RetrainAsync(ct)).ConfigureAwait(false);
        var baseline = await PhaseAsync(scope, "evaluate", phases, meter, () => EvaluateAsync(targetItems, targetUsers, ct)).ConfigureAwait(false);

        int fakeUsers = _scenario.Budget.FakeUsers > 0
            ? _scenario.Budget.FakeUsers
            : Math.Max(1, (int)Math.Round(configured.Users * _scenario.Budget.FakeUserPercent / 100.0, MidpointRounding.AwayFromZero));

        var runs = new List<AttackRun>();
        foreach (var attack in attacks)
        {
            if (attack.IsNone)
            {
                runs.Add(new AttackRun
                {
                    Attack = attack.ToString(),
                    Label = attack.Label,
                    Before = baseline,
                    After = baseline,
                    Delta = Delta.Between(baseline, baseline),
                    Cost = new AttackCost(),
                    Phases = [],
                });
                continue;
            }
            runs.Add(await RunAttackAsync(seed, attack, files, targetItems, targetUsers, fakeUsers, baseline, meter, ct).ConfigureAwait(false));
        }

        return new SeedRun
        {
            Seed = seed,
            Dataset = new DatasetInfo(DatasetName(), configured.Users, configured.Items, configured.Interactions, configured.ModelVersion),
            TargetItems = targetItems,
            TargetUsers = targetUsers,
            FakeUsers = fakeUsers,
            ActionsPerUser = _scenario.Budget.ActionsPerUser,
            Baseline = baseline,
            BaselinePhases = phases,
            Attacks = runs,
        };
    }

    private async Task<AttackRun> RunAttackAsync(
        ulong seed, AttackSpec attack, IReadOnlyDictionary<string, FakeProfileDocument> files,
        IReadOnlyList<string> targetItems, IReadOnlyList<string> targetUsers, int fakeUsers,
        Evaluation baseline, PhaseMeter meter, CancellationToken ct)
    {
        var scope = $"seed {seed} · {attack.Label}";
        var phases = new List<Phase>();
        await PhaseAsync(scope, "configure", phases, meter, () => ConfigureAsync(seed, ct)).ConfigureAwait(false);

        IReadOnlyList<FakeProfile> profiles;
        string? profilesFile;
        var notes = new List<string>();
        var strategyPhases = new List<Phase>();
        long queries = 0;
        int crawlPages = 0;
        if (attack.File is { } file)
        {
            var doc = files[file];
            profiles = doc.Profiles;
            profilesFile = file;
            if (doc.Metadata.TargetItems.Count > 0 && !doc.Metadata.TargetItems.ToHashSet(StringComparer.Ordinal).SetEquals(targetItems))
                Warn($"{Path.GetFileName(file)} was generated for target items {string.Join(", ", doc.Metadata.TargetItems)}, not this run's {string.Join(", ", targetItems)}");
        }
        else
        {
            var result = await PhaseAsync(scope, "generate", phases, meter,
                () => GenerateAsync(scope, attack.Strategy, seed, targetItems, targetUsers, fakeUsers, ct)).ConfigureAwait(false);
            profiles = result.Profiles;
            queries = result.PlatformQueries;
            notes.AddRange(result.Notes);
            strategyPhases.AddRange(result.Phases.Select(p => new Phase(p.Phase, Math.Round(p.Seconds, 3), 0)));
            foreach (var note in result.Notes) _observer.Warning($"{scope}: {note}");
            crawlPages = result.CrawlPages;
            profilesFile = Path.Combine(_settings.OutputDirectory, $"profiles-{attack.Label}-seed{seed.ToString(CultureInfo.InvariantCulture)}.jsonl");
            var parameters = new Dictionary<string, string>(GenerateParameters(attack.Strategy), StringComparer.Ordinal);
            FakeProfileFile.Write(profilesFile, profiles, new FakeProfileMetadata
            {
                Strategy = attack.Strategy,
                TargetItems = targetItems,
                TargetUsers = targetUsers,
                Seed = seed,
                CreatedUtc = DateTimeOffset.UtcNow,
                ActionsPerUser = _scenario.Budget.ActionsPerUser,
                Parameters = parameters,
            });
        }

        var injected = await PhaseAsync(scope, "inject", phases, meter, () => InjectAsync(scope, attack, seed, profiles, ct)).ConfigureAwait(false);
        await PhaseAsync(scope, "retrain", phases, meter, () => RetrainAsync(ct)).ConfigureAwait(false);
        var after = await PhaseAsync(scope, "evaluate", phases, meter, () => EvaluateAsync(targetItems, targetUsers, ct)).ConfigureAwait(false);
        var truth = await GroundTruthAsync(ct).ConfigureAwait(false);

        // A platform limit that stops the injection is an outcome of the exercise, not a failure
        // of the range: the attack is evaluated with what was delivered, and the report says so.
        if (injected.ProfilesCompleted < profiles.Count || injected.State == "failed")
            Warn($"{scope}: the injector delivered {injected.ProfilesCompleted} of {profiles.Count} profiles ({(string.IsNullOrEmpty(injected.State) ? "incomplete" : injected.State)}{(string.IsNullOrEmpty(injected.Error) ? "" : ": " + RangeServices.OneLine(injected.Error))})");

        return new AttackRun
        {
            Attack = attack.ToString(),
            Label = attack.Label,
            Before = baseline,
            After = after,
            Delta = Delta.Between(baseline, after),
            Cost = new AttackCost
            {
                Profiles = profiles.Count,
                Queries = queries,
                CrawlPages = crawlPages,
                AccountsRegistered = injected.AccountsRegistered,
                Actions = injected.InteractionsRecorded,
                PlatformCalls = injected.PlatformCalls,
                Retries = injected.Retries,
                FakeAccounts = truth.Accounts,
                FakeActions = truth.Actions,
                FlaggedAccounts = truth.Flagged,
            },
            ProfilesFile = profilesFile,
            Phases = phases,
            StrategyPhases = strategyPhases,
            Notes = notes,
        };
    }

    private async Task<T> PhaseAsync<T>(string scope, string name, List<Phase> phases, PhaseMeter meter, Func<Task<T>> work)
    {
        _observer.PhaseStarted(scope, name);
        var result = await meter.MeasureAsync(name, phases, work).ConfigureAwait(false);
        _observer.PhaseFinished(scope, name, phases[^1].Seconds);
        return result;
    }

    private async Task PhaseAsync(string scope, string name, List<Phase> phases, PhaseMeter meter, Func<Task> work) =>
        await PhaseAsync<bool>(scope, name, phases, meter, async () =>
        {
            await work().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    private void Warn(string message)
    {
        _warnings.Add(message);
        _observer.Warning(message);
    }

    private string DatasetName() =>
        _settings.DatasetSource == "synthetic" ? "synthetic" : Path.GetFileName(_settings.DatasetSource.TrimEnd('/', '\\'));

    // ---- Referee ----

    /// <summary>The Referee's scenario for one seed: the same for the baseline and every attack.</summary>
    public Scenario BuildPlatformScenario(ulong seed)
    {
        var s = _scenario;
        var scenario = new Scenario
        {
            Name = s.Name,
            Seed = seed,
            Dataset = new DatasetSpec
            {
                Source = _settings.DatasetSource,
                Format = s.Dataset.Format,
                MinInteractions = s.Dataset.MinInteractions,
                LeaveLastTwoOut = s.Dataset.LeaveLastTwoOut,
                Synthetic = new SyntheticSpec
                {
                    Users = s.Dataset.Synthetic.Users,
                    Items = s.Dataset.Synthetic.Items,
                    Rank = s.Dataset.Synthetic.Rank,
                    MeanLength = s.Dataset.Synthetic.MeanLength,
                },
            },
            Victim = new VictimSpec { Kind = s.Victim.Kind },
            Retrain = new RetrainPolicy
            {
                IntervalMs = s.Platform.Retrain.IntervalMs,
                EveryNewInteractions = s.Platform.Retrain.EveryNewInteractions,
                Jitter = s.Platform.Retrain.Jitter,
            },
            Limits = new Limits
            {
                AccountsPerKey = s.Platform.Limits.AccountsPerKey,
                RegistrationsPerWindow = s.Platform.Limits.RegistrationsPerWindow,
                RegistrationWindowMs = s.Platform.Limits.RegistrationWindowMs,
                ActionsPerAccount = ActionsPerAccount(),
                QueriesPerAccountPerWindow = s.Platform.Limits.QueriesPerAccountPerWindow,
                QueryWindowMs = s.Platform.Limits.QueryWindowMs,
                QueryBudgetPerKey = s.Platform.Limits.QueryBudgetPerKey,
                CrawlPagesPerKey = s.Platform.Limits.CrawlPagesPerKey,
                MaxPageSize = s.Platform.Limits.MaxPageSize,
                KMax = s.Platform.Limits.KMax,
                MinRating = s.Platform.Limits.MinRating,
                MaxRating = s.Platform.Limits.MaxRating,
            },
            Knowledge = new KnowledgePolicy
            {
                InteractionFraction = s.Platform.Knowledge.InteractionFraction,
                UserFraction = s.Platform.Knowledge.UserFraction,
            },
        };
        foreach (var (k, v) in s.Victim.HyperParameters) scenario.Victim.HyperParameters[k] = v;
        scenario.AttackerKeys.Add(_services.Endpoints.AttackerKey);
        if (_services.Endpoints.ObserverKey != _services.Endpoints.AttackerKey)
            scenario.AttackerKeys.Add(_services.Endpoints.ObserverKey);
        return scenario;
    }

    private Task<ConfigureReply> ConfigureAsync(ulong seed, CancellationToken ct) =>
        _services.CallAsync("referee", "Configure",
            () => _services.Referee.ConfigureAsync(BuildPlatformScenario(seed), _services.OperatorCall(_services.LongCall, ct)).ResponseAsync, ct);

    private Task<RetrainReply> RetrainAsync(CancellationToken ct) =>
        _services.CallAsync("referee", "Retrain",
            () => _services.Referee.RetrainAsync(new RetrainRequest(), _services.OperatorCall(_services.LongCall, ct)).ResponseAsync, ct);

    private async Task<Evaluation> EvaluateAsync(IReadOnlyList<string> items, IReadOnlyList<string> users, CancellationToken ct)
    {
        Task<EvaluateReply> EvaluateAtAsync(int k)
        {
            var request = new EvaluateRequest { K = k };
            request.TargetItems.AddRange(items);
            request.TargetUsers.AddRange(users);
            return _services.CallAsync("referee", "Evaluate",
                () => _services.Referee.EvaluateAsync(request, _services.OperatorCall(_services.LongCall, ct)).ResponseAsync, ct);
        }

        var reply = await EvaluateAtAsync(_scenario.K).ConfigureAwait(false);
        if (reply.ExcludedItems.Count > 0) Warn($"target item(s) {string.Join(", ", reply.ExcludedItems)} left out of HR_t@{_scenario.K}: every normal user has interacted with them");
        var alsoK = new List<KEvaluation>();
        foreach (var k in _scenario.AlsoK)
        {
            // The same serving model: nothing is recorded or retrained between these calls.
            var r = await EvaluateAtAsync(k).ConfigureAwait(false);
            if (r.ModelVersion != reply.ModelVersion)
                Warn($"the platform's model changed from {reply.ModelVersion} to {r.ModelVersion} between its evaluations at K = {_scenario.K} and K = {k} (a scheduled retrain): the K = {k} figures are of the newer model");
            alsoK.Add(new KEvaluation(k, r.DisplayRate, r.MeanItemHitRatio));
        }
        return new Evaluation
        {
            DisplayRate = reply.DisplayRate,
            MeanItemHitRatio = reply.MeanItemHitRatio,
            ModelVersion = reply.ModelVersion,
            TargetUsersEvaluated = reply.TargetUsersEvaluated,
            NormalUsers = reply.NormalUsers,
            Items = reply.Items.Select(i => new ItemHit(i.ItemId, i.HitRatio, i.Population)).ToList(),
            AlsoK = alsoK,
        };
    }

    private async Task<(int Accounts, long Actions, int Flagged)> GroundTruthAsync(CancellationToken ct)
    {
        var reply = await _services.CallAsync("referee", "ListAccounts",
            () => _services.Referee.ListAccountsAsync(new ListAccountsRequest { OwnerKey = _services.Endpoints.AttackerKey },
                _services.OperatorCall(RangeServices.ShortCall, ct)).ResponseAsync, ct).ConfigureAwait(false);
        var mine = reply.Accounts.Where(a => a.OwnerKey == _services.Endpoints.AttackerKey).ToList();
        return (mine.Count, mine.Sum(a => (long)a.Actions), mine.Count(a => a.Flagged));
    }

    // ---- Targets, through the public API with the range's observer key ----

    private async Task<(IReadOnlyList<string> Items, IReadOnlyList<string> Users)> ChooseTargetsAsync(ulong seed, string scope, CancellationToken ct)
    {
        var t = _scenario.Targets;
        if (!TargetBand.TryParse(t.Band, out var band, out var problem)) throw new RangeException($"targets.band {problem}");
        // Explicit ids are checked against the catalogue too, so the view is always read.
        var view = await ReadPublicViewAsync(scope, ct).ConfigureAwait(false);
        try
        {
            var items = TargetSelector.ChooseItems(view, band, t.Items, seed, t.ItemIds);
            var users = TargetSelector.ChooseUsers(view, items, t.Users, seed, t.UserIds);
            return (items, users);
        }
        catch (TargetSelectionException e)
        {
            throw new RangeException(e.Message, e);
        }
    }

    private async Task<CatalogueView> ReadPublicViewAsync(string scope, CancellationToken ct)
    {
        int pageSize = _scenario.Platform.Limits.MaxPageSize > 0 ? Math.Min(_scenario.Platform.Limits.MaxPageSize, 1000) : 1000;
        using var client = _services.CreateObserverClient();
        try
        {
            var items = await client.ListAllItemsAsync(pageSize, ct).ConfigureAwait(false);
            var progress = new Progress<CrawlProgress>(p => _observer.PhaseProgress(scope, "targets", p.Users, p.TotalUsers, $"{p.Pages} pages"));
            var users = await client.CrawlAsync(pageSize, progress, ct).ConfigureAwait(false);
            var popularity = new Dictionary<string, int>(StringComparer.Ordinal);
            var histories = new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal);
            foreach (var u in users)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var x in u.Interactions)
                {
                    popularity[x.ItemId] = popularity.GetValueOrDefault(x.ItemId) + 1;
                    seen.Add(x.ItemId);
                }
                histories[u.UserId] = seen;
            }
            if (_scenario.Platform.Knowledge.UserFraction is > 0 and < 1 || _scenario.Platform.Knowledge.InteractionFraction is > 0 and < 1)
                Warn("targets were chosen from the public view, which the knowledge policy limits to part of the data");
            return new CatalogueView(items.Select(i => i.ItemId).ToList(), popularity, histories);
        }
        catch (PlatformLimitException e)
        {
            throw new RangeException($"the platform refused the range's crawl ({e.Limit}); raise platform.limits.crawlPagesPerKey or give targets.itemIds and targets.userIds", e);
        }
        catch (PlatformUnavailableException e)
        {
            throw new RangeException($"cannot reach the platform at {_services.Endpoints.Platform}: {RangeServices.OneLine(e.InnerException?.Message ?? e.Message)}", e);
        }
        catch (RpcException e) when (!(e.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested))
        {
            throw _services.Describe("platform", "Crawl", e);
        }
    }

    // ---- Attacker services ----

    private async Task<GenerateResult> GenerateAsync(string scope, string strategy, ulong seed, IReadOnlyList<string> items, IReadOnlyList<string> users, int fakeUsers, CancellationToken ct)
    {
        var request = new GenerateRequest
        {
            Strategy = strategy,
            FakeUsers = fakeUsers,
            ActionsPerUser = _scenario.Budget.ActionsPerUser,
            Seed = seed,
        };
        request.TargetItems.AddRange(items);
        request.TargetUsers.AddRange(users);
        foreach (var (k, v) in GenerateParameters(strategy)) request.Parameters[k] = v;

        var agent = _services.Agent!;
        return await _services.CallAsync("agent", "Generate", async () =>
        {
            using var call = agent.Generate(request, RangeServices.Call(_services.LongCall, ct));
            GenerateResult? result = null;
            await foreach (var update in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (update.UpdateCase == GenerateUpdate.UpdateOneofCase.Progress)
                    _observer.PhaseProgress(scope, "generate", update.Progress.Done, update.Progress.Total, Describe(update.Progress));
                else if (update.UpdateCase == GenerateUpdate.UpdateOneofCase.Result)
                    result = update.Result;
            }
            return result ?? throw new RangeException($"the agent ended Generate for '{strategy}' without a result");
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The strategy's parameters as sent to the agent. Every attack runs on a freshly configured
    /// platform, so the agent crawls its view again (and the crawl counts against this attack)
    /// unless the scenario's attackParameters say otherwise.
    /// </summary>
    private Dictionary<string, string> GenerateParameters(string strategy)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal) { ["refresh_view"] = "true" };
        if (StrategyKey(strategy) == LokiStrategyName)
            parameters[LokiLocalModelsParameter] = string.Join(",", LeaveOneOutModels(_scenario.Victim.Kind));
        if (_scenario.AttackParameters.TryGetValue(strategy, out var given))
            foreach (var (k, v) in given) parameters[k] = v;
        return parameters;
    }

    public const string LokiStrategyName = "loki";
    public const string LokiLocalModelsParameter = "loki_local_models";

    /// <summary>LOKI's four kinds (bprmf, fpmc, gru4rec, transrec).</summary>
    public static IReadOnlyList<string> LokiKinds => PoisonRange.Simulator.SimulatorOptions.LokiKinds;

    /// <summary>
    /// The simulator's local models in LOKI's leave-one-out protocol: the four LOKI kinds without
    /// the victim's (the exercise designer knows the victim; the attacker code never learns it
    /// from the platform). A victim outside the four leaves all four.
    /// </summary>
    public static IReadOnlyList<string> LeaveOneOutModels(string victimKind) =>
        LokiKinds.Where(k => !string.Equals(k, victimKind?.Trim(), StringComparison.OrdinalIgnoreCase)).ToArray();

    private async Task<InjectResult> InjectAsync(string scope, AttackSpec attack, ulong seed, IReadOnlyList<FakeProfile> profiles, CancellationToken ct)
    {
        var request = new InjectRequest
        {
            JobId = $"{_settings.RunId}-{attack.Label}-seed{seed.ToString(CultureInfo.InvariantCulture)}",
            BatchSize = _scenario.Injection.BatchSize > 0 ? _scenario.Injection.BatchSize : _scenario.Budget.ActionsPerUser,
        };
        request.Profiles.AddRange(profiles);
        var injector = _services.Injector!;
        return await _services.CallAsync("injector", "Inject", async () =>
        {
            using var call = injector.Inject(request, RangeServices.Call(_services.LongCall, ct));
            InjectResult? result = null;
            await foreach (var update in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (update.UpdateCase == InjectUpdate.UpdateOneofCase.Progress)
                    _observer.PhaseProgress(scope, "inject", update.Progress.Done, update.Progress.Total, Describe(update.Progress));
                else if (update.UpdateCase == InjectUpdate.UpdateOneofCase.Result)
                    result = update.Result;
            }
            return result ?? throw new RangeException($"the injector ended job {request.JobId} without a result");
        }, ct).ConfigureAwait(false);
    }

    private static string? Describe(PoisonRange.Contracts.Common.V1.Progress p) =>
        string.IsNullOrEmpty(p.Message) ? (string.IsNullOrEmpty(p.Phase) ? null : p.Phase) : string.IsNullOrEmpty(p.Phase) ? p.Message : $"{p.Phase}: {p.Message}";

    public static RunVersions CurrentVersions()
    {
        var info = typeof(ExerciseRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        int plus = info.IndexOf('+');
        var version = plus >= 0 ? info[..plus] : info;
        var commit = plus >= 0 ? info[(plus + 1)..] : null;
        return new RunVersions(version, RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription, Environment.ProcessorCount, commit);
    }
}
