using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PoisonRange.Range.Scenarios;

namespace PoisonRange.Range.Reports;

/// <summary>Writes a <see cref="RangeReport"/> as JSON (for scripts), Markdown (for people) and an SVG bar chart.</summary>
public static class ReportWriter
{
    public const string JsonFileName = "report.json";
    public const string MarkdownFileName = "report.md";
    public const string ChartFileName = "display-rate.svg";

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes report.json, report.md and the chart into <paramref name="directory"/>, each atomically.</summary>
    public static IReadOnlyList<string> WriteAll(RangeReport report, string directory)
    {
        var files = new[]
        {
            (Path.Combine(directory, JsonFileName), ToJson(report)),
            (Path.Combine(directory, MarkdownFileName), ToMarkdown(report)),
            (Path.Combine(directory, ChartFileName), ToSvg(report)),
        };
        foreach (var (path, text) in files)
            AtomicFile.WriteAllText(path, text);
        return files.Select(f => f.Item1).ToList();
    }

    public static string ToJson(RangeReport report) => JsonSerializer.Serialize(report, JsonOptions) + "\n";

    public static RangeReport FromJson(string json) =>
        JsonSerializer.Deserialize<RangeReport>(json, JsonOptions) ?? throw new JsonException("The report is empty.");

    /// <summary>Reads a report.json; null when the file is missing or not a range report.</summary>
    public static RangeReport? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var report = FromJson(File.ReadAllText(path));
            return report.Schema == RangeReport.SchemaId ? report : null;
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
            return null;
        }
    }

    // ---- Markdown ----

    public static string ToMarkdown(RangeReport r)
    {
        var s = r.Scenario;
        var md = new StringBuilder();
        var first = r.Runs.FirstOrDefault();
        md.AppendLine(Inv, $"# PoisonRange {r.Command}: {Escape(s.Name)}");
        md.AppendLine();
        md.AppendLine(Inv, $"Run `{r.RunId}` ({r.Mode}), started {r.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC, {r.WallSeconds:0.0} s wall-clock, peak memory {Mb(r.PeakMemoryBytes)}.");
        md.AppendLine();
        if (first is not null)
            md.AppendLine(Inv, $"- Dataset: {Escape(first.Dataset.Name)}, {first.Dataset.Users} users, {first.Dataset.Items} items, {first.Dataset.Interactions} interactions");
        md.AppendLine(Inv, $"- Victim: {Escape(s.Victim.Kind)}; K = {s.K}");
        var targets = s.Targets.ItemIds.Count > 0 ? $"{s.Targets.ItemIds.Count} given" : $"{s.Targets.Items} from band '{s.Targets.Band}'";
        var users = s.Targets.UserIds.Count > 0 ? $"{s.Targets.UserIds.Count} given" : $"{s.Targets.Users} random normal users";
        md.AppendLine(Inv, $"- Target items: {targets}; target users: {users}");
        var fake = s.Budget.FakeUsers > 0 ? $"{s.Budget.FakeUsers}" : $"{s.Budget.FakeUserPercent.ToString("0.##", Inv)}% of normal users ({first?.FakeUsers ?? 0})";
        md.AppendLine(Inv, $"- Budget: {fake} fake users × {s.Budget.ActionsPerUser} actions");
        md.AppendLine(Inv, $"- Seeds: {string.Join(", ", r.Seeds)}");
        md.AppendLine();

        bool repeats = r.Seeds.Count > 1;
        md.AppendLine(repeats ? $"## Results (mean ± std over {r.Seeds.Count} seeds)" : "## Results");
        md.AppendLine();
        md.AppendLine("| attack | display rate before | display rate after | Δ display rate | HR_t@K before | HR_t@K after | Δ HR_t@K | queries | actions |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var a in r.Summary)
            md.AppendLine(Inv, $"| {Escape(a.Label)} | {Fmt(a.DisplayRateBefore, repeats)} | {Fmt(a.DisplayRateAfter, repeats)} | {Fmt(a.DisplayRateDelta, repeats, signed: true)} | {Fmt(a.HitRatioBefore, repeats)} | {Fmt(a.HitRatioAfter, repeats)} | {Fmt(a.HitRatioDelta, repeats, signed: true)} | {Fmt(a.Queries, repeats, "0")} | {Fmt(a.Actions, repeats, "0")} |");
        md.AppendLine();
        md.AppendLine("Before is the clean baseline: the same platform configured with the same seed and retrained on the same schedule without the injection.");
        md.AppendLine();
        var alsoK = r.Summary.SelectMany(a => a.AlsoK.Select(k => k.K)).Distinct().Order().ToList();
        if (alsoK.Count > 0)
        {
            md.AppendLine(Inv, $"## At K = {string.Join(", ", alsoK)} (the same models)");
            md.AppendLine();
            md.AppendLine("| attack | K | display rate before | display rate after | Δ display rate | HR_t@K before | HR_t@K after | Δ HR_t@K |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var a in r.Summary)
                foreach (var k in a.AlsoK)
                    md.AppendLine(Inv, $"| {Escape(a.Label)} | {k.K} | {Fmt(k.DisplayRateBefore, repeats)} | {Fmt(k.DisplayRateAfter, repeats)} | {Fmt(k.DisplayRateDelta, repeats, signed: true)} | {Fmt(k.HitRatioBefore, repeats)} | {Fmt(k.HitRatioAfter, repeats)} | {Fmt(k.HitRatioDelta, repeats, signed: true)} |");
            md.AppendLine();
        }

        var phaseNames = r.Summary.SelectMany(a => a.PhaseSeconds.Keys).Distinct().ToList();
        md.AppendLine(repeats ? "## Wall-clock per phase (seconds, mean ± std)" : "## Wall-clock per phase (seconds)");
        md.AppendLine();
        md.AppendLine("| attack | " + string.Join(" | ", phaseNames) + " | total |");
        md.AppendLine("|---|" + string.Concat(phaseNames.Select(_ => "---:|")) + "---:|");
        foreach (var a in r.Summary)
        {
            var cells = phaseNames.Select(n => a.PhaseSeconds.TryGetValue(n, out var m) ? Fmt(m, repeats, "0.00") : "–");
            var total = MeanStd.Of(r.Runs.SelectMany(x => x.Attacks).Where(x => x.Label == a.Label).Select(x => x.Phases.Sum(p => p.Seconds)));
            md.AppendLine(Inv, $"| {Escape(a.Label)} | {string.Join(" | ", cells)} | {Fmt(total, repeats, "0.00")} |");
        }
        var baselinePhases = r.Runs.SelectMany(x => x.BaselinePhases).Select(p => p.Name).Distinct().ToList();
        if (baselinePhases.Count > 0)
        {
            var cells = baselinePhases.Select(n => $"{n} {Fmt(MeanStd.Of(r.Runs.Select(x => x.BaselinePhases.Where(p => p.Name == n).Sum(p => p.Seconds))), repeats, "0.00")}");
            md.AppendLine();
            md.AppendLine(Inv, $"Baseline phases (seconds): {string.Join(", ", cells)}.");
        }
        md.AppendLine();

        md.AppendLine("## Per seed");
        foreach (var run in r.Runs)
        {
            md.AppendLine();
            md.AppendLine(Inv, $"### Seed {run.Seed}");
            md.AppendLine();
            md.AppendLine(Inv, $"Target items: {string.Join(", ", run.TargetItems.Select(Code))}.");
            md.AppendLine(Inv, $"Target users ({run.TargetUsers.Count}): {string.Join(", ", run.TargetUsers.Take(10).Select(Code))}{(run.TargetUsers.Count > 10 ? ", …" : "")}.");
            md.AppendLine(Inv, $"Fake users: {run.FakeUsers} × {run.ActionsPerUser} actions. Baseline model `{Escape(run.Baseline.ModelVersion)}`.");
            md.AppendLine();
            md.AppendLine("| attack | display rate before | after | Δ | HR_t@K before | after | Δ | queries | crawl pages | accounts | actions | flagged | peak memory | profiles |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (var a in run.Attacks)
            {
                var peak = a.Phases.Count == 0 ? 0 : a.Phases.Max(p => p.PeakMemoryBytes);
                var profiles = a.ProfilesFile is null ? "–" : Code(Path.GetFileName(a.ProfilesFile));
                md.AppendLine(Inv, $"| {Escape(a.Label)} | {Num(a.Before.DisplayRate)} | {Num(a.After.DisplayRate)} | {Signed(a.Delta.DisplayRate)} | {Num(a.Before.MeanItemHitRatio)} | {Num(a.After.MeanItemHitRatio)} | {Signed(a.Delta.MeanItemHitRatio)} | {a.Cost.Queries} | {a.Cost.CrawlPages} | {a.Cost.FakeAccounts} | {a.Cost.Actions} | {a.Cost.FlaggedAccounts} | {(peak > 0 ? Mb(peak) : "–")} | {profiles} |");
            }
            foreach (var a in run.Attacks.Where(a => a.StrategyPhases.Count > 0 || a.Notes.Count > 0))
            {
                md.AppendLine();
                if (a.StrategyPhases.Count > 0)
                    md.AppendLine(Inv, $"{Escape(a.Label)} inside generate (seconds): {string.Join(", ", a.StrategyPhases.Select(p => $"{Escape(p.Name)} {p.Seconds.ToString("0.00", Inv)}"))}.");
                foreach (var note in a.Notes) md.AppendLine(Inv, $"- {Escape(a.Label)}: {Escape(note)}");
            }
        }
        md.AppendLine();

        if (r.Warnings.Count > 0)
        {
            md.AppendLine("## Warnings");
            md.AppendLine();
            foreach (var w in r.Warnings) md.AppendLine(Inv, $"- {Escape(w)}");
            md.AppendLine();
        }

        md.AppendLine("## Versions");
        md.AppendLine();
        md.AppendLine(Inv, $"range {Escape(r.Versions.Range)}, {Escape(r.Versions.Runtime)}, {Escape(r.Versions.Os)}, {r.Versions.ProcessorCount} processors{(r.Versions.Commit is null ? "" : $", commit `{r.Versions.Commit}`")}.");
        md.AppendLine(Inv, $"Platform {Code(r.Endpoints.Platform)}, referee {Code(r.Endpoints.Referee)}{(r.Endpoints.Agent is null ? "" : $", agent {Code(r.Endpoints.Agent)}")}{(r.Endpoints.Injector is null ? "" : $", injector {Code(r.Endpoints.Injector)}")}.");
        md.AppendLine();
        md.AppendLine("## Resolved scenario");
        md.AppendLine();
        md.AppendLine("```json");
        md.AppendLine(ScenarioFile.ToJson(s));
        md.AppendLine("```");
        return md.ToString();
    }

    /// <summary>A mean (signed: with + or −), and "± std" when the figure is over several seeds.</summary>
    internal static string Fmt(MeanStd m, bool withStd, string format = "0.000", bool signed = false)
    {
        var mean = signed ? Signed(m.Mean, format) : m.Mean.ToString(format, Inv);
        return withStd ? $"{mean} ± {m.Std.ToString(format, Inv)}" : mean;
    }

    private static string Num(double v) => v.ToString("0.000", Inv);

    private static string Signed(double v) => Signed(v, "0.000");

    /// <summary>+ or − and the magnitude; a value that rounds to zero is "+0.000", never "−0.000".</summary>
    internal static string Signed(double v, string format)
    {
        var magnitude = Math.Abs(v).ToString(format, Inv);
        bool zero = magnitude.All(c => c is '0' or '.');
        return (v >= 0 || zero ? "+" : "−") + magnitude;
    }

    private static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0", Inv) + " MB";

    private static string Code(string text) => "`" + text.Replace("`", "'", StringComparison.Ordinal) + "`";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    // ---- SVG ----

    /// <summary>A grouped bar chart of display rate before (grey) and after (red) per attack, with ± std whiskers over repeats.</summary>
    public static string ToSvg(RangeReport r)
    {
        const int barWidth = 28, gap = 6, groupGap = 36, left = 64, right = 24, top = 48, plotHeight = 220, bottom = 64;
        var groups = r.Summary;
        int groupWidth = 2 * barWidth + gap;
        int width = Math.Max(360, left + right + groups.Count * groupWidth + Math.Max(groups.Count - 1, 0) * groupGap + 2 * groupGap);
        int height = top + plotHeight + bottom;
        double max = groups.Count == 0 ? 0 : groups.Max(g => Math.Max(g.DisplayRateBefore.Mean + g.DisplayRateBefore.Std, g.DisplayRateAfter.Mean + g.DisplayRateAfter.Std));
        double yMax = NiceCeiling(Math.Max(max, 0.01));
        double Y(double v) => top + plotHeight - Math.Clamp(v / yMax, 0, 1) * plotHeight;

        var svg = new StringBuilder();
        svg.AppendLine(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(Inv, $"  <title>Display rate before and after each attack ({X(r.Scenario.Name)})</title>");
        svg.AppendLine(Inv, $"  <rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>");
        svg.AppendLine(Inv, $"  <text x=\"{left}\" y=\"24\" font-size=\"14\" font-weight=\"bold\">Display rate@{r.Scenario.K} before and after ({X(r.Scenario.Name)}{(r.Seeds.Count > 1 ? $", mean ± std of {r.Seeds.Count} seeds" : "")})</text>");

        // Axis and grid.
        for (int i = 0; i <= 4; i++)
        {
            double v = yMax * i / 4;
            double y = Y(v);
            svg.AppendLine(Inv, $"  <line x1=\"{left}\" y1=\"{y:0.##}\" x2=\"{width - right}\" y2=\"{y:0.##}\" stroke=\"#e0e0e0\"/>");
            svg.AppendLine(Inv, $"  <text x=\"{left - 8}\" y=\"{y + 4:0.##}\" text-anchor=\"end\">{v:0.###}</text>");
        }
        svg.AppendLine(Inv, $"  <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + plotHeight}\" stroke=\"#333\"/>");
        svg.AppendLine(Inv, $"  <line x1=\"{left}\" y1=\"{top + plotHeight}\" x2=\"{width - right}\" y2=\"{top + plotHeight}\" stroke=\"#333\"/>");

        int x = left + groupGap;
        foreach (var g in groups)
        {
            Bar(svg, x, barWidth, g.DisplayRateBefore, "#9e9e9e", "before", g.Label, Y);
            Bar(svg, x + barWidth + gap, barWidth, g.DisplayRateAfter, "#d32f2f", "after", g.Label, Y);
            svg.AppendLine(Inv, $"  <text x=\"{x + groupWidth / 2.0:0.##}\" y=\"{top + plotHeight + 18}\" text-anchor=\"middle\">{X(g.Label)}</text>");
            x += groupWidth + groupGap;
        }

        // Legend.
        int ly = height - 20;
        svg.AppendLine(Inv, $"  <rect x=\"{left}\" y=\"{ly - 10}\" width=\"12\" height=\"12\" fill=\"#9e9e9e\"/>");
        svg.AppendLine(Inv, $"  <text x=\"{left + 18}\" y=\"{ly}\">before (clean baseline)</text>");
        svg.AppendLine(Inv, $"  <rect x=\"{left + 180}\" y=\"{ly - 10}\" width=\"12\" height=\"12\" fill=\"#d32f2f\"/>");
        svg.AppendLine(Inv, $"  <text x=\"{left + 198}\" y=\"{ly}\">after the attack</text>");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Bar(StringBuilder svg, int x, int w, MeanStd m, string color, string which, string label, Func<double, double> y)
    {
        double top = y(m.Mean), baseY = y(0);
        svg.AppendLine(Inv, $"  <rect x=\"{x}\" y=\"{top:0.##}\" width=\"{w}\" height=\"{Math.Max(baseY - top, 0):0.##}\" fill=\"{color}\"><title>{X(label)} {which}: {m.Mean:0.###}{(m.N > 1 ? $" ± {m.Std:0.###}" : "")}</title></rect>");
        if (m.N > 1 && m.Std > 0)
        {
            double cx = x + w / 2.0, y1 = y(m.Mean - m.Std), y2 = y(m.Mean + m.Std);
            svg.AppendLine(Inv, $"  <line x1=\"{cx:0.##}\" y1=\"{y1:0.##}\" x2=\"{cx:0.##}\" y2=\"{y2:0.##}\" stroke=\"#212121\"/>");
            svg.AppendLine(Inv, $"  <line x1=\"{cx - 5:0.##}\" y1=\"{y2:0.##}\" x2=\"{cx + 5:0.##}\" y2=\"{y2:0.##}\" stroke=\"#212121\"/>");
            svg.AppendLine(Inv, $"  <line x1=\"{cx - 5:0.##}\" y1=\"{y1:0.##}\" x2=\"{cx + 5:0.##}\" y2=\"{y1:0.##}\" stroke=\"#212121\"/>");
        }
        svg.AppendLine(Inv, $"  <text x=\"{x + w / 2.0:0.##}\" y=\"{top - 4:0.##}\" text-anchor=\"middle\" font-size=\"10\">{m.Mean:0.00}</text>");
    }

    /// <summary>The smallest of 1, 2, 2.5, 5 × 10^n that is at least <paramref name="v"/>.</summary>
    private static double NiceCeiling(double v)
    {
        double p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var f in new[] { 1, 2, 2.5, 5, 10 })
            if (f * p >= v - 1e-12) return Math.Min(f * p, v <= 1 ? 1 : double.MaxValue);
        return 10 * p;
    }

    private static string X(string text) => WebUtility.HtmlEncode(text);
}
