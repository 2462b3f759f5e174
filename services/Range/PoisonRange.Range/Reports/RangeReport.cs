using PoisonRange.Data;
using PoisonRange.Range.Scenarios;

namespace PoisonRange.Range.Reports;

/// <summary>
/// The result of one range run (exercise or inject), written as report.json (schema
/// <see cref="SchemaId"/>), report.md and a chart. Numbers are plain JSON numbers; times are
/// seconds; memory is bytes.
/// </summary>
public sealed record RangeReport
{
    public const string SchemaId = "poisonrange.range.report/v1";

    public string Schema { get; init; } = SchemaId;
    public required string RunId { get; init; }
    /// <summary>"exercise" or "inject".</summary>
    public required string Command { get; init; }
    /// <summary>"embedded" (every service in this process) or "remote".</summary>
    public required string Mode { get; init; }
    public required DateTimeOffset StartedUtc { get; init; }
    public required DateTimeOffset FinishedUtc { get; init; }
    public required double WallSeconds { get; init; }
    /// <summary>Peak working set of the range process over the run (in embedded mode it includes every service).</summary>
    public required long PeakMemoryBytes { get; init; }
    public required RunVersions Versions { get; init; }
    public required EndpointInfo Endpoints { get; init; }
    /// <summary>The scenario after the file and the command-line overrides were merged.</summary>
    public required RangeScenario Scenario { get; init; }
    public required IReadOnlyList<ulong> Seeds { get; init; }
    /// <summary>One entry per seed: its baseline and the attacks run against it.</summary>
    public required IReadOnlyList<SeedRun> Runs { get; init; }
    /// <summary>One entry per attack: mean and standard deviation over the seeds.</summary>
    public required IReadOnlyList<AttackSummary> Summary { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

public sealed record RunVersions(string Range, string Runtime, string Os, int ProcessorCount, string? Commit);

/// <summary>Service addresses (tokens are never written).</summary>
public sealed record EndpointInfo(string Platform, string Referee, string? Agent, string? Injector);

public sealed record SeedRun
{
    public required ulong Seed { get; init; }
    public required DatasetInfo Dataset { get; init; }
    public required IReadOnlyList<string> TargetItems { get; init; }
    public required IReadOnlyList<string> TargetUsers { get; init; }
    /// <summary>Fake users asked of each attack (budget.fakeUserPercent of the normal users).</summary>
    public required int FakeUsers { get; init; }
    public required int ActionsPerUser { get; init; }
    /// <summary>The clean model: configured, retrained on the same schedule, no injection.</summary>
    public required Evaluation Baseline { get; init; }
    public required IReadOnlyList<Phase> BaselinePhases { get; init; }
    public required IReadOnlyList<AttackRun> Attacks { get; init; }
}

public sealed record DatasetInfo(string Name, int Users, int Items, long Interactions, string InitialModelVersion);

public sealed record Evaluation
{
    public required double DisplayRate { get; init; }
    /// <summary>Mean HR_t@K over target items (normal users who had not interacted with t; attacker accounts excluded).</summary>
    public required double MeanItemHitRatio { get; init; }
    public required string ModelVersion { get; init; }
    public int TargetUsersEvaluated { get; init; }
    public int NormalUsers { get; init; }
    public IReadOnlyList<ItemHit> Items { get; init; } = [];
    /// <summary>The same model evaluated at the scenario's further list lengths (alsoK).</summary>
    public IReadOnlyList<KEvaluation> AlsoK { get; init; } = [];
}

/// <summary>Display rate and mean HR_t of one model at one list length.</summary>
public sealed record KEvaluation(int K, double DisplayRate, double MeanItemHitRatio);

public sealed record ItemHit(string ItemId, double HitRatio, int Population);

public sealed record AttackRun
{
    /// <summary>The attack as listed in the scenario ("popular", "file:/path/profiles.jsonl").</summary>
    public required string Attack { get; init; }
    public required string Label { get; init; }
    public required Evaluation Before { get; init; }
    public required Evaluation After { get; init; }
    public required Delta Delta { get; init; }
    public required AttackCost Cost { get; init; }
    /// <summary>The profiles file written beside the report (or read, for file attacks); null for none.</summary>
    public string? ProfilesFile { get; init; }
    public required IReadOnlyList<Phase> Phases { get; init; }
    /// <summary>The strategy's own phases inside "generate" (LOKI: simulator, estimator, groups, train, generate), as the agent timed them.</summary>
    public IReadOnlyList<Phase> StrategyPhases { get; init; } = [];
    /// <summary>The strategy's remarks (a local model skipped, weights renormalised, a budget lowered).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

public sealed record Delta(double DisplayRate, double MeanItemHitRatio)
{
    public static Delta Between(Evaluation before, Evaluation after) =>
        new(after.DisplayRate - before.DisplayRate, after.MeanItemHitRatio - before.MeanItemHitRatio);
}

/// <summary>What an attack spent, as the attacker services report it and as the referee's ground truth counts it.</summary>
public sealed record AttackCost
{
    public int Profiles { get; init; }
    /// <summary>Recommendation queries the agent made on the platform.</summary>
    public long Queries { get; init; }
    public int CrawlPages { get; init; }
    public int AccountsRegistered { get; init; }
    /// <summary>Interactions recorded for fake accounts (the injector's count).</summary>
    public long Actions { get; init; }
    public long PlatformCalls { get; init; }
    public int Retries { get; init; }
    /// <summary>Ground truth from the referee: attacker-owned accounts and their actions.</summary>
    public int FakeAccounts { get; init; }
    public long FakeActions { get; init; }
    public int FlaggedAccounts { get; init; }
}

/// <summary>Wall-clock and peak memory of one phase (configure, crawl, generate, inject, retrain, evaluate).</summary>
public sealed record Phase(string Name, double Seconds, long PeakMemoryBytes);

public sealed record MeanStd(double Mean, double Std, int N)
{
    /// <summary>Mean and sample standard deviation (n − 1; 0 for a single value).</summary>
    public static MeanStd Of(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) return new MeanStd(0, 0, 0);
        var (mean, std) = Metrics.MeanStd(v);
        return new MeanStd(mean, std, v.Length);
    }
}

public sealed record AttackSummary
{
    public required string Attack { get; init; }
    public required string Label { get; init; }
    public required int Repeats { get; init; }
    public required MeanStd DisplayRateBefore { get; init; }
    public required MeanStd DisplayRateAfter { get; init; }
    public required MeanStd DisplayRateDelta { get; init; }
    public required MeanStd HitRatioBefore { get; init; }
    public required MeanStd HitRatioAfter { get; init; }
    public required MeanStd HitRatioDelta { get; init; }
    /// <summary>The same figures at the scenario's further list lengths (alsoK), one entry per K.</summary>
    public IReadOnlyList<KSummary> AlsoK { get; init; } = [];
    public required MeanStd Queries { get; init; }
    public required MeanStd Actions { get; init; }
    /// <summary>Wall-clock per phase name.</summary>
    public required IReadOnlyDictionary<string, MeanStd> PhaseSeconds { get; init; }

    public static IReadOnlyList<AttackSummary> Summarize(IReadOnlyList<SeedRun> runs)
    {
        var labels = runs.SelectMany(r => r.Attacks).Select(a => (a.Attack, a.Label)).Distinct().ToList();
        var result = new List<AttackSummary>();
        foreach (var (attack, label) in labels)
        {
            var all = runs.SelectMany(r => r.Attacks).Where(a => a.Label == label).ToList();
            var phaseNames = all.SelectMany(a => a.Phases).Select(p => p.Name).Distinct().ToList();
            result.Add(new AttackSummary
            {
                Attack = attack,
                Label = label,
                Repeats = all.Count,
                DisplayRateBefore = MeanStd.Of(all.Select(a => a.Before.DisplayRate)),
                DisplayRateAfter = MeanStd.Of(all.Select(a => a.After.DisplayRate)),
                DisplayRateDelta = MeanStd.Of(all.Select(a => a.Delta.DisplayRate)),
                HitRatioBefore = MeanStd.Of(all.Select(a => a.Before.MeanItemHitRatio)),
                HitRatioAfter = MeanStd.Of(all.Select(a => a.After.MeanItemHitRatio)),
                HitRatioDelta = MeanStd.Of(all.Select(a => a.Delta.MeanItemHitRatio)),
                AlsoK = all.SelectMany(a => a.After.AlsoK.Select(e => e.K)).Distinct().Order().Select(k => KSummary.Of(k, all)).ToList(),
                Queries = MeanStd.Of(all.Select(a => (double)a.Cost.Queries)),
                Actions = MeanStd.Of(all.Select(a => (double)a.Cost.Actions)),
                PhaseSeconds = phaseNames.ToDictionary(
                    n => n,
                    n => MeanStd.Of(all.Select(a => a.Phases.Where(p => p.Name == n).Sum(p => p.Seconds)))),
            });
        }
        return result;
    }
}

/// <summary>An attack's display rate and HR_t at one further list length, mean and std over the seeds.</summary>
public sealed record KSummary
{
    public required int K { get; init; }
    public required MeanStd DisplayRateBefore { get; init; }
    public required MeanStd DisplayRateAfter { get; init; }
    public required MeanStd DisplayRateDelta { get; init; }
    public required MeanStd HitRatioBefore { get; init; }
    public required MeanStd HitRatioAfter { get; init; }
    public required MeanStd HitRatioDelta { get; init; }

    /// <summary>An attack's headline figures (at the scenario's own K) in this shape.</summary>
    public static KSummary Headline(int k, AttackSummary a) => new()
    {
        K = k,
        DisplayRateBefore = a.DisplayRateBefore,
        DisplayRateAfter = a.DisplayRateAfter,
        DisplayRateDelta = a.DisplayRateDelta,
        HitRatioBefore = a.HitRatioBefore,
        HitRatioAfter = a.HitRatioAfter,
        HitRatioDelta = a.HitRatioDelta,
    };

    public static KSummary Of(int k, IReadOnlyList<AttackRun> runs)
    {
        var pairs = runs
            .Select(a => (Before: a.Before.AlsoK.FirstOrDefault(e => e.K == k), After: a.After.AlsoK.FirstOrDefault(e => e.K == k)))
            .Where(p => p.Before is not null && p.After is not null)
            .Select(p => (Before: p.Before!, After: p.After!))
            .ToList();
        return new KSummary
        {
            K = k,
            DisplayRateBefore = MeanStd.Of(pairs.Select(p => p.Before.DisplayRate)),
            DisplayRateAfter = MeanStd.Of(pairs.Select(p => p.After.DisplayRate)),
            DisplayRateDelta = MeanStd.Of(pairs.Select(p => p.After.DisplayRate - p.Before.DisplayRate)),
            HitRatioBefore = MeanStd.Of(pairs.Select(p => p.Before.MeanItemHitRatio)),
            HitRatioAfter = MeanStd.Of(pairs.Select(p => p.After.MeanItemHitRatio)),
            HitRatioDelta = MeanStd.Of(pairs.Select(p => p.After.MeanItemHitRatio - p.Before.MeanItemHitRatio)),
        };
    }
}
