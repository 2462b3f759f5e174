using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PoisonRange.Range.Exercise;
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
    public const string JsonFileName = "experiment.json";
    public const string MarkdownFileName = "experiment.md";
    public const string SchemaId = "poisonrange.range.experiment/v1";

    public static IReadOnlyList<string> Attacks { get; } = ["none", "random", "popular", "covisit", ExerciseRunner.LokiStrategyName];

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
                throw new ScenarioException($"{o.Source}: the {Name} experiment sets {o.Path} itself (victim each of {string.Join(", ", ExerciseRunner.LokiKinds)}; attacks {string.Join(", ", Attacks)})");
        var result = new List<(string, IReadOnlyList<ScenarioOverride>)>();
        foreach (var victim in ExerciseRunner.LokiKinds)
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
            var loki = x.Report.Runs.SelectMany(r => r.Attacks).Where(a => a.Label == ExerciseRunner.LokiStrategyName).ToList();
            var lokiPhases = loki.SelectMany(a => a.StrategyPhases).Select(p => p.Name).Distinct()
                .ToDictionary(n => n, n => MeanStd.Of(loki.Select(a => a.StrategyPhases.Where(p => p.Name == n).Sum(p => p.Seconds))));
            var baselinePhases = x.Report.Runs.SelectMany(r => r.BaselinePhases).Select(p => p.Name).Distinct()
                .ToDictionary(n => n, n => MeanStd.Of(x.Report.Runs.Select(r => r.BaselinePhases.Where(p => p.Name == n).Sum(p => p.Seconds))));
            return new ExperimentScenario
            {
                Victim = x.Victim,
                LocalModels = ExerciseRunner.LeaveOneOutModels(x.Victim),
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

    public static IReadOnlyList<string> WriteAll(ExperimentReport report, string directory)
    {
        var json = Path.Combine(directory, JsonFileName);
        var md = Path.Combine(directory, MarkdownFileName);
        AtomicFile.WriteAllText(json, JsonSerializer.Serialize(report, ReportWriter.JsonOptions) + "\n");
        AtomicFile.WriteAllText(md, ToMarkdown(report));
        return [json, md];
    }

    public static ExperimentReport FromJson(string json) =>
        JsonSerializer.Deserialize<ExperimentReport>(json, ReportWriter.JsonOptions) ?? throw new JsonException("empty experiment report");

    /// <summary>
    /// The best attack other than none and loki at list length <paramref name="k"/>: the highest
    /// mean display rate after the attack, ties broken by mean ΔHR_t (null when none ran).
    /// </summary>
    public static AttackSummary? BestBaseline(ExperimentScenario s, int k, int ownK) =>
        s.Summary.Where(a => a.Label is not ("none" or ExerciseRunner.LokiStrategyName) && At(a, k, ownK) is not null)
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
            var loki = s.Summary.FirstOrDefault(a => a.Label == ExerciseRunner.LokiStrategyName);
            var best = BestBaseline(s, k, r.K);
            if (loki is null || best is null || At(loki, k, r.K) is not { } l) continue;
            rows.Add((l.DisplayRateAfter.Mean, At(best, k, r.K)!.DisplayRateAfter.Mean));
        }
        if (rows.Count == 0) return null;
        var baselines = r.Scenarios.SelectMany(s => s.Summary).Select(a => a.Label)
            .Where(l => l is not ("none" or ExerciseRunner.LokiStrategyName)).Distinct().ToList();
        var overall = baselines
            .Select(label => (Label: label, Mean: r.Scenarios.Select(s => s.Summary.FirstOrDefault(a => a.Label == label))
                .Where(a => a is not null && At(a, k, r.K) is not null).Select(a => At(a!, k, r.K)!.DisplayRateAfter.Mean).DefaultIfEmpty(0).Average()))
            .OrderByDescending(x => x.Mean).FirstOrDefault();
        return new LokiComparison(k, rows.Count, rows.Average(x => x.Loki), rows.Average(x => x.Best), overall.Label ?? "", overall.Mean);
    }

    public static string ToMarkdown(ExperimentReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        bool repeats = r.Seeds.Count > 1;
        md.AppendLine(inv, $"# PoisonRange experiment {r.Experiment}");
        md.AppendLine();
        md.AppendLine(inv, $"Run `{r.RunId}`, started {r.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC, {r.WallSeconds:0.0} s wall-clock. Dataset {r.Dataset}, K = {r.K}, seeds {string.Join(", ", r.Seeds)}.");
        md.AppendLine("Each victim is attacked with the same budget; LOKI's simulator uses the other three kinds as local models.");
        md.AppendLine();
        md.AppendLine(repeats ? $"## Results (mean ± std over {r.Seeds.Count} seeds)" : "## Results");
        md.AppendLine();
        md.AppendLine("| victim | attack | display rate after | Δ display rate | HR_t@K after | Δ HR_t@K | queries | actions | generate s | total s |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in r.Scenarios)
            foreach (var a in s.Summary)
            {
                var generate = a.PhaseSeconds.TryGetValue("generate", out var g) ? F(g, repeats, "0.0") : "–";
                var total = new MeanStd(a.PhaseSeconds.Values.Sum(p => p.Mean), 0, a.Repeats);
                md.AppendLine(inv, $"| {s.Victim} | {a.Label} | {F(a.DisplayRateAfter, repeats)} | {F(a.DisplayRateDelta, repeats, signed: true)} | {F(a.HitRatioAfter, repeats)} | {F(a.HitRatioDelta, repeats, signed: true)} | {F(a.Queries, repeats, "0")} | {F(a.Actions, repeats, "0")} | {generate} | {total.Mean.ToString("0.0", inv)} |");
            }
        md.AppendLine();
        var allK = AllK(r);
        foreach (var k in allK.Skip(1))
        {
            md.AppendLine(repeats ? $"## Results at K = {k} (the same models; mean ± std over {r.Seeds.Count} seeds)" : $"## Results at K = {k} (the same models)");
            md.AppendLine();
            md.AppendLine("| victim | attack | display rate after | Δ display rate | HR_t@K after | Δ HR_t@K |");
            md.AppendLine("|---|---|---:|---:|---:|---:|");
            foreach (var s in r.Scenarios)
                foreach (var a in s.Summary)
                    if (At(a, k, r.K) is { } x)
                        md.AppendLine(inv, $"| {s.Victim} | {a.Label} | {F(x.DisplayRateAfter, repeats)} | {F(x.DisplayRateDelta, repeats, signed: true)} | {F(x.HitRatioAfter, repeats)} | {F(x.HitRatioDelta, repeats, signed: true)} |");
            md.AppendLine();
        }
        md.AppendLine("## LOKI against the best baseline (by display rate after the attack)");
        md.AppendLine();
        md.AppendLine("| victim | local models | K | best baseline | its display rate | LOKI display rate | LOKI Δ display rate | LOKI Δ HR_t@K | LOKI wins |");
        md.AppendLine("|---|---|---:|---|---:|---:|---:|---:|---|");
        foreach (var k in allK)
            foreach (var s in r.Scenarios)
            {
                var best = BestBaseline(s, k, r.K);
                var loki = s.Summary.FirstOrDefault(a => a.Label == ExerciseRunner.LokiStrategyName);
                if (best is null || loki is null || At(loki, k, r.K) is not { } l) continue;
                var b = At(best, k, r.K)!;
                md.AppendLine(inv, $"| {s.Victim} | {string.Join(", ", s.LocalModels)} | {k} | {best.Label} | {F(b.DisplayRateAfter, repeats)} | {F(l.DisplayRateAfter, repeats)} | {F(l.DisplayRateDelta, repeats, signed: true)} | {F(l.HitRatioDelta, repeats, signed: true)} | {(l.DisplayRateAfter.Mean > b.DisplayRateAfter.Mean ? "yes" : l.DisplayRateAfter.Mean == b.DisplayRateAfter.Mean ? "tie" : "no")} |");
            }
        md.AppendLine();
        foreach (var k in allK)
            if (Compare(r, k) is { } c)
                md.AppendLine(inv, $"- K = {k}, mean over {c.Scenarios} scenarios: LOKI display rate {c.Loki:0.000} against {c.BestPerScenario:0.000} for each scenario's best baseline ({Relative(c.Loki, c.BestPerScenario)}) and {c.OverallBestMean:0.000} for the baseline best on average, {c.OverallBest} ({Relative(c.Loki, c.OverallBestMean)}).");
        md.AppendLine();
        md.AppendLine("## Where the time goes (seconds, mean per seed)");
        md.AppendLine();
        md.AppendLine("| victim | scenario wall-clock | baseline phases | LOKI inside generate |");
        md.AppendLine("|---|---:|---|---|");
        foreach (var s in r.Scenarios)
        {
            var baseline = string.Join(", ", s.BaselinePhaseSeconds.Select(p => $"{p.Key} {p.Value.Mean.ToString("0.0", inv)}"));
            var loki = string.Join(", ", s.LokiPhaseSeconds.Select(p => $"{p.Key} {p.Value.Mean.ToString("0.0", inv)}"));
            md.AppendLine(inv, $"| {s.Victim} | {s.WallSeconds:0.0} | {baseline} | {(loki.Length == 0 ? "–" : loki)} |");
        }
        md.AppendLine();
        md.AppendLine("Per attack and phase (configure, generate, inject, retrain, evaluate): see each victim's report.md.");
        var notes = r.Scenarios.SelectMany(s => s.Notes.Select(n => $"{s.Victim}: {n}")).Concat(r.Scenarios.SelectMany(s => s.Warnings.Select(w => $"{s.Victim}: warning: {w}"))).ToList();
        if (notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Notes");
            md.AppendLine();
            foreach (var n in notes) md.AppendLine(inv, $"- {n.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ")}");
        }
        md.AppendLine();
        md.AppendLine("## Reports");
        md.AppendLine();
        foreach (var s in r.Scenarios) md.AppendLine(inv, $"- {s.Victim}: `{Path.Combine(s.ReportDirectory, ReportWriter.MarkdownFileName)}`");
        return md.ToString();
    }

    /// <summary>A relative difference as LOKI §4.3 quotes it ("+27%"), or "–" against zero.</summary>
    public static string Relative(double value, double reference) =>
        reference <= 0 ? (value > 0 ? "from 0" : "–") : ((value - reference) / reference).ToString("+0%;-0%;0%", CultureInfo.InvariantCulture);

    internal static string F(MeanStd m, bool withStd, string format = "0.000", bool signed = false) => ReportWriter.Fmt(m, withStd, format, signed);
}

/// <summary>Mean display rate after LOKI and after the baselines at one K, over the scenarios that ran LOKI.</summary>
public sealed record LokiComparison(int K, int Scenarios, double Loki, double BestPerScenario, string OverallBest, double OverallBestMean);

public sealed record ExperimentReport
{
    public string Schema { get; init; } = LeaveOneOutExperiment.SchemaId;
    public required string RunId { get; init; }
    public required string Experiment { get; init; }
    public required DateTimeOffset StartedUtc { get; init; }
    public required double WallSeconds { get; init; }
    public required string Dataset { get; init; }
    public required int K { get; init; }
    public required IReadOnlyList<ulong> Seeds { get; init; }
    public required IReadOnlyList<ExperimentScenario> Scenarios { get; init; }
}

public sealed record ExperimentScenario
{
    public required string Victim { get; init; }
    public required IReadOnlyList<string> LocalModels { get; init; }
    /// <summary>Where the scenario's own report (report.json, report.md, profiles) was written.</summary>
    public required string ReportDirectory { get; init; }
    public required double WallSeconds { get; init; }
    public required IReadOnlyList<AttackSummary> Summary { get; init; }
    public required IReadOnlyDictionary<string, MeanStd> BaselinePhaseSeconds { get; init; }
    /// <summary>LOKI's own phases inside generate: simulator, estimator, groups, train, generate.</summary>
    public required IReadOnlyDictionary<string, MeanStd> LokiPhaseSeconds { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
