using System.Globalization;
using System.Text;
using System.Text.Json;
using PoisonRange.Range.Experiments;

namespace PoisonRange.Range.Reports;

/// <summary>An experiment's files: experiment.json (the full report) and experiment.md (its tables).</summary>
public static class ExperimentReportWriter
{
    public const string JsonFileName = "experiment.json";
    public const string MarkdownFileName = "experiment.md";

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
        var allK = LeaveOneOutExperiment.AllK(r);
        foreach (var k in allK.Skip(1))
        {
            md.AppendLine(repeats ? $"## Results at K = {k} (the same models; mean ± std over {r.Seeds.Count} seeds)" : $"## Results at K = {k} (the same models)");
            md.AppendLine();
            md.AppendLine("| victim | attack | display rate after | Δ display rate | HR_t@K after | Δ HR_t@K |");
            md.AppendLine("|---|---|---:|---:|---:|---:|");
            foreach (var s in r.Scenarios)
                foreach (var a in s.Summary)
                    if (LeaveOneOutExperiment.At(a, k, r.K) is { } x)
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
                var best = LeaveOneOutExperiment.BestBaseline(s, k, r.K);
                var loki = s.Summary.FirstOrDefault(a => a.Label == LokiProtocol.StrategyName);
                if (best is null || loki is null || LeaveOneOutExperiment.At(loki, k, r.K) is not { } l) continue;
                var b = LeaveOneOutExperiment.At(best, k, r.K)!;
                md.AppendLine(inv, $"| {s.Victim} | {string.Join(", ", s.LocalModels)} | {k} | {best.Label} | {F(b.DisplayRateAfter, repeats)} | {F(l.DisplayRateAfter, repeats)} | {F(l.DisplayRateDelta, repeats, signed: true)} | {F(l.HitRatioDelta, repeats, signed: true)} | {(l.DisplayRateAfter.Mean > b.DisplayRateAfter.Mean ? "yes" : l.DisplayRateAfter.Mean == b.DisplayRateAfter.Mean ? "tie" : "no")} |");
            }
        md.AppendLine();
        foreach (var k in allK)
            if (LeaveOneOutExperiment.Compare(r, k) is { } c)
                md.AppendLine(inv, $"- K = {k}, mean over {c.Scenarios} scenarios: LOKI display rate {c.Loki:0.000} against {c.BestPerScenario:0.000} for each scenario's best baseline ({LeaveOneOutExperiment.Relative(c.Loki, c.BestPerScenario)}) and {c.OverallBestMean:0.000} for the baseline best on average, {c.OverallBest} ({LeaveOneOutExperiment.Relative(c.Loki, c.OverallBestMean)}).");
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

    internal static string F(MeanStd m, bool withStd, string format = "0.000", bool signed = false) => ReportWriter.Fmt(m, withStd, format, signed);
}
