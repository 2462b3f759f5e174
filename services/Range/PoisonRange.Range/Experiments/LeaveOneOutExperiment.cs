using System.Globalization;
using System.Text.Json.Nodes;
using PoisonRange.Range.Reports;
using PoisonRange.Range.Scenarios;

namespace PoisonRange.Range.Experiments;

/// <summary>
/// LOKI's leave-one-out experiment (§4.2): four exercises on the same data, the victim each of
/// bprmf, fpmc, gru4rec and transrec, the simulator's local models the other three, every
/// exercise running None, Random, Popular, Co-visit and LOKI against one clean baseline per seed.
/// </summary>
public static class LeaveOneOutExperiment
{
    public const string Name = "loki-leave-one-out";
    public const string SchemaId = "poisonrange.range.experiment/v1";

    public static IReadOnlyList<string> Attacks { get; } = ["none", "random", "popular", "covisit", LokiProtocol.StrategyName];

    /// <summary>The experiments `range experiment` knows.</summary>
    public static IReadOnlyList<string> Known { get; } = [Name];

    /// <summary>
    /// The four scenarios: the base overrides, then per victim the victim kind, the five attacks,
    /// a name and an output subdirectory (these four fields are the experiment's and win).
    /// </summary>
    public static IReadOnlyList<(string Victim, IReadOnlyList<ScenarioOverride> Overrides)> Plan(IReadOnlyList<ScenarioOverride> baseOverrides, string baseName, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(baseOverrides);
        foreach (var o in baseOverrides)
            if (o.Path is "victim.kind" or "attacks")
                throw new ScenarioException($"{o.Source}: the {Name} experiment sets {o.Path} itself (victim each of {string.Join(", ", LokiProtocol.Kinds)}; attacks {string.Join(", ", Attacks)})");
        var result = new List<(string, IReadOnlyList<ScenarioOverride>)>();
        foreach (var victim in LokiProtocol.Kinds)
        {
            const string source = "range experiment " + Name;
            var list = new List<ScenarioOverride>(baseOverrides)
            {
                new("victim.kind", JsonValue.Create(victim), source),
                new("attacks", new JsonArray(Attacks.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()), source),
                new("name", JsonValue.Create($"{baseName}-{victim}"), source),
                new("output", JsonValue.Create(Path.Combine(outputDirectory, victim)), source),
            };
            result.Add((victim, list));
        }
        return result;
    }

    public static ExperimentReport Summarize(string runId, DateTimeOffset started, double wallSeconds, IReadOnlyList<(string Victim, string Directory, RangeReport Report)> runs)
    {
        var scenarios = runs.Select(x =>
        {
            var loki = x.Report.Runs.SelectMany(r => r.Attacks).Where(a => a.Label == LokiProtocol.StrategyName).ToList();
            var lokiPhases = loki.SelectMany(a => a.StrategyPhases).Select(p => p.Name).Distinct()
                .ToDictionary(n => n, n => MeanStd.Of(loki.Select(a => a.StrategyPhases.Where(p => p.Name == n).Sum(p => p.Seconds))));
            var baselinePhases = x.Report.Runs.SelectMany(r => r.BaselinePhases).Select(p => p.Name).Distinct()
                .ToDictionary(n => n, n => MeanStd.Of(x.Report.Runs.Select(r => r.BaselinePhases.Where(p => p.Name == n).Sum(p => p.Seconds))));
            return new ExperimentScenario
            {
                Victim = x.Victim,
                LocalModels = LokiProtocol.LeaveOneOutModels(x.Victim),
                ReportDirectory = x.Directory,
                WallSeconds = x.Report.WallSeconds,
                Summary = x.Report.Summary,
                BaselinePhaseSeconds = baselinePhases,
                LokiPhaseSeconds = lokiPhases,
                Notes = loki.SelectMany(a => a.Notes).Distinct().ToList(),
                Warnings = x.Report.Warnings,
            };
        }).ToList();
        var first = runs.FirstOrDefault().Report;
        return new ExperimentReport
        {
            RunId = runId,
            Experiment = Name,
            StartedUtc = started,
            WallSeconds = Math.Round(wallSeconds, 3),
            Dataset = first?.Runs.FirstOrDefault()?.Dataset.Name ?? "",
            K = first?.Scenario.K ?? 0,
            Seeds = first?.Seeds ?? [],
            Scenarios = scenarios,
        };
    }

    /// <summary>
    /// The best attack other than none and loki at list length <paramref name="k"/>: the highest
    /// mean display rate after the attack, ties broken by mean ΔHR_t (null when none ran).
    /// </summary>
    public static AttackSummary? BestBaseline(ExperimentScenario s, int k, int ownK) =>
        s.Summary.Where(a => a.Label is not ("none" or LokiProtocol.StrategyName) && At(a, k, ownK) is not null)
            .OrderByDescending(a => At(a, k, ownK)!.DisplayRateAfter.Mean).ThenByDescending(a => At(a, k, ownK)!.HitRatioDelta.Mean).FirstOrDefault();

    /// <summary>An attack's figures at list length <paramref name="k"/>: the scenario's own K or one of its alsoK.</summary>
    public static KSummary? At(AttackSummary a, int k, int ownK) =>
        k == ownK
            ? KSummary.Headline(k, a)
            : a.AlsoK.FirstOrDefault(x => x.K == k);

    /// <summary>Every list length the experiment evaluated: K first, then the further ones.</summary>
    public static IReadOnlyList<int> AllK(ExperimentReport r) =>
        new[] { r.K }.Concat(r.Scenarios.SelectMany(s => s.Summary).SelectMany(a => a.AlsoK.Select(x => x.K)).Distinct().Order()).ToList();

    /// <summary>
    /// LOKI against the baselines at one K, over the scenarios that ran LOKI: the mean display rate
    /// after LOKI, after each scenario's best baseline, and after the one baseline that is best on
    /// average (LOKI §4.3 compares with Co-visit this way).
    /// </summary>
    public static LokiComparison? Compare(ExperimentReport r, int k)
    {
        var rows = new List<(double Loki, double Best)>();
        foreach (var s in r.Scenarios)
        {
            var loki = s.Summary.FirstOrDefault(a => a.Label == LokiProtocol.StrategyName);
            var best = BestBaseline(s, k, r.K);
            if (loki is null || best is null || At(loki, k, r.K) is not { } l) continue;
            rows.Add((l.DisplayRateAfter.Mean, At(best, k, r.K)!.DisplayRateAfter.Mean));
        }
        if (rows.Count == 0) return null;
        var baselines = r.Scenarios.SelectMany(s => s.Summary).Select(a => a.Label)
            .Where(l => l is not ("none" or LokiProtocol.StrategyName)).Distinct().ToList();
        var overall = baselines
            .Select(label => (Label: label, Mean: r.Scenarios.Select(s => s.Summary.FirstOrDefault(a => a.Label == label))
                .Where(a => a is not null && At(a, k, r.K) is not null).Select(a => At(a!, k, r.K)!.DisplayRateAfter.Mean).DefaultIfEmpty(0).Average()))
            .OrderByDescending(x => x.Mean).FirstOrDefault();
        return new LokiComparison(k, rows.Count, rows.Average(x => x.Loki), rows.Average(x => x.Best), overall.Label ?? "", overall.Mean);
    }

    /// <summary>A relative difference as LOKI §4.3 quotes it ("+27%"), or "–" against zero.</summary>
    public static string Relative(double value, double reference) =>
        reference <= 0 ? (value > 0 ? "from 0" : "–") : ((value - reference) / reference).ToString("+0%;-0%;0%", CultureInfo.InvariantCulture);
}
