using System.Globalization;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Range.Experiments;
using PoisonRange.Range.Scenarios;
using PoisonRange.Recommenders;
using Spectre.Console;

namespace PoisonRange.Range.Reports;

/// <summary>The range's console tables: an exercise's summary, an experiment's, the agent's strategies and the model kinds.</summary>
public static class ConsoleReport
{
    public static void PrintSummary(IAnsiConsole console, RangeReport report, string outputDirectory)
    {
        bool repeats = report.Seeds.Count > 1;
        var table = new Table().Title(Markup.Escape($"{report.Scenario.Name}: display rate (DR) and HR_t@{report.Scenario.K}{(repeats ? $", mean ± std of {report.Seeds.Count} seeds" : "")}"));
        // Short headers so that the table fits 80 columns; report.md spells them out.
        foreach (var c in new[] { "attack", "DR before", "DR after", "ΔDR", "HR before", "HR after", "ΔHR", "queries", "actions", "s" })
            table.AddColumn(new TableColumn(c) { Alignment = c == "attack" ? Justify.Left : Justify.Right, NoWrap = c == "attack" });
        foreach (var a in report.Summary)
        {
            var seconds = MeanStd.Of(report.Runs.SelectMany(x => x.Attacks).Where(x => x.Label == a.Label).Select(x => x.Phases.Sum(p => p.Seconds)));
            table.AddRow(
                Markup.Escape(a.Label),
                F(a.DisplayRateBefore, repeats), F(a.DisplayRateAfter, repeats), F(a.DisplayRateDelta, repeats, signed: true),
                F(a.HitRatioBefore, repeats), F(a.HitRatioAfter, repeats), F(a.HitRatioDelta, repeats, signed: true),
                F(a.Queries, repeats, "0"), F(a.Actions, repeats, "0"), F(seconds, repeats, "0.0"));
        }
        console.Write(table);
        foreach (var a in report.Summary)
            foreach (var k in a.AlsoK)
                console.WriteLine($"{a.Label} at K = {k.K}: DR {F(k.DisplayRateBefore, repeats)} -> {F(k.DisplayRateAfter, repeats)} (ΔDR {F(k.DisplayRateDelta, repeats, signed: true)}), ΔHR {F(k.HitRatioDelta, repeats, signed: true)}");
        foreach (var w in report.Warnings) console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(w)}");
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Report: {Path.Combine(outputDirectory, ReportWriter.MarkdownFileName)} ({report.WallSeconds:0.0} s, peak memory {report.PeakMemoryBytes / (1024 * 1024)} MB)"));
    }

    public static void PrintExperiment(IAnsiConsole console, ExperimentReport report, string outputDirectory)
    {
        bool repeats = report.Seeds.Count > 1;
        var table = new Table().Title(Markup.Escape($"{report.Experiment}: Δ display rate and Δ HR_t@{report.K} per victim{(repeats ? $", mean ± std of {report.Seeds.Count} seeds" : "")}"));
        foreach (var c in new[] { "victim", "attack", "ΔDR", "ΔHR", "queries", "generate s", "total s" })
            table.AddColumn(new TableColumn(c) { Alignment = c is "victim" or "attack" ? Justify.Left : Justify.Right, NoWrap = true });
        foreach (var s in report.Scenarios)
            foreach (var a in s.Summary)
            {
                var generate = a.PhaseSeconds.TryGetValue("generate", out var g) ? g.Mean : 0;
                table.AddRow(s.Victim, Markup.Escape(a.Label),
                    F(a.DisplayRateDelta, repeats, signed: true), F(a.HitRatioDelta, repeats, signed: true),
                    F(a.Queries, repeats, "0"), generate.ToString("0.0", CultureInfo.InvariantCulture),
                    a.PhaseSeconds.Values.Sum(p => p.Mean).ToString("0.0", CultureInfo.InvariantCulture));
            }
        console.Write(table);
        foreach (var k in LeaveOneOutExperiment.AllK(report))
            if (LeaveOneOutExperiment.Compare(report, k) is { } c)
                console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"K = {k}: LOKI display rate {c.Loki:0.000} (mean of {c.Scenarios} scenarios); best baseline per scenario {c.BestPerScenario:0.000} ({LeaveOneOutExperiment.Relative(c.Loki, c.BestPerScenario)}); {c.OverallBest} {c.OverallBestMean:0.000} ({LeaveOneOutExperiment.Relative(c.Loki, c.OverallBestMean)})"));
        foreach (var s in report.Scenarios.Where(s => s.LokiPhaseSeconds.Count > 0))
            console.WriteLine($"{s.Victim}: LOKI inside generate: {string.Join(", ", s.LokiPhaseSeconds.Select(p => $"{p.Key} {p.Value.Mean.ToString("0.0", CultureInfo.InvariantCulture)} s"))}");
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Experiment report: {Path.Combine(outputDirectory, ExperimentReportWriter.MarkdownFileName)} ({report.WallSeconds:0.0} s)"));
    }

    /// <summary>The strategies the agent offers, "none" (the clean baseline) first.</summary>
    public static void PrintStrategies(IAnsiConsole console, ListStrategiesReply reply)
    {
        var table = new Table().AddColumn("strategy").AddColumn("description");
        table.AddRow(AttackSpec.None, "no attack: the clean baseline itself");
        foreach (var s in reply.Strategies.Where(s => !string.Equals(s.Name, AttackSpec.None, StringComparison.OrdinalIgnoreCase)))
            table.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Description));
        console.Write(table);
    }

    /// <summary>The recommender kinds a scenario may name as the victim, with their hyper-parameters.</summary>
    public static void PrintModels(IAnsiConsole console)
    {
        var table = new Table().AddColumn("kind").AddColumn("description").AddColumn("hyper-parameters");
        foreach (var registration in RecommenderFactory.Registrations)
            table.AddRow(Markup.Escape(registration.Kind), Markup.Escape(registration.Description), Markup.Escape(string.Join(", ", registration.HyperParameterNames)));
        console.Write(table);
    }

    private static string F(MeanStd m, bool withStd, string format = "0.000", bool signed = false) => ReportWriter.Fmt(m, withStd, format, signed);
}
