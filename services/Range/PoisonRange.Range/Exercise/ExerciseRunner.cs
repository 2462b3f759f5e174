using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using PoisonRange.Client;
using PoisonRange.Client.Profiles;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Range.Reports;
using PoisonRange.Range.Scenarios;
using PoisonRange.Range.Targets;

namespace PoisonRange.Range.Exercise;

/// <summary>
/// Drives one exercise through the services' gRPC APIs only. Per seed: Configure → choose targets
/// from the public view → Retrain → Evaluate gives the clean baseline, shared by every attack; then
/// per attack: Configure (fresh, same seed) → Generate (agent) or read a saved profiles file →
/// Inject (injector) → Retrain → Evaluate, and the referee's ground truth of attacker accounts.
/// </summary>
public sealed partial class ExerciseRunner
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
            Versions = RunSettings.CurrentVersions(),
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
}
