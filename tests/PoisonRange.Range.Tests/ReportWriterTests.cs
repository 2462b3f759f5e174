using System.Xml.Linq;
using PoisonRange.Range.Reports;
using PoisonRange.Range.Scenarios;
using Xunit;

namespace PoisonRange.Range.Tests;

public class ReportWriterTests
{
    internal static Evaluation Eval(double display, double hr, string version = "v1") => new()
    {
        DisplayRate = display,
        MeanItemHitRatio = hr,
        ModelVersion = version,
        TargetUsersEvaluated = 20,
        NormalUsers = 600,
        Items = [new ItemHit("i1", hr, 580)],
    };

    private static AttackRun Attack(string name, Evaluation before, Evaluation after, long queries, long actions) => new()
    {
        Attack = name,
        Label = name,
        Before = before,
        After = after,
        Delta = Delta.Between(before, after),
        Cost = new AttackCost { Profiles = 18, Queries = queries, Actions = actions, AccountsRegistered = 18, FakeAccounts = 18, FakeActions = actions },
        ProfilesFile = name == "none" ? null : $"/tmp/run/profiles-{name}-seed1.jsonl",
        Phases = name == "none" ? [] : [new Phase("configure", 1.5, 100_000_000), new Phase("generate", 0.5, 120_000_000), new Phase("inject", 0.25, 90_000_000)],
    };

    /// <summary>Two seeds, three attacks; popular's display rate after is 0.30 and 0.50 (mean 0.40, std 0.1414).</summary>
    internal static RangeReport Sample()
    {
        var scenario = ScenarioFile.Defaults();
        scenario.Attacks = ["none", "popular", "random"];
        scenario.Seeds = [1, 2];
        var runs = new List<SeedRun>();
        foreach (var (seed, baseDisplay, popularAfter) in new[] { (1UL, 0.10, 0.30), (2UL, 0.20, 0.50) })
        {
            var baseline = Eval(baseDisplay, 0.01);
            runs.Add(new SeedRun
            {
                Seed = seed,
                Dataset = new DatasetInfo("synthetic", 600, 300, 12_000, "v0"),
                TargetItems = ["i1", "i2"],
                TargetUsers = ["u1", "u2", "u3"],
                FakeUsers = 18,
                ActionsPerUser = 15,
                Baseline = baseline,
                BaselinePhases = [new Phase("configure", 2, 1), new Phase("targets", 0.1, 1), new Phase("retrain", 1, 1), new Phase("evaluate", 0.1, 1)],
                Attacks =
                [
                    Attack("none", baseline, baseline, 0, 0),
                    Attack("popular", baseline, Eval(popularAfter, 0.05, "v2"), 0, 270),
                    Attack("random", baseline, Eval(baseDisplay + 0.05, 0.02, "v2"), 10 * (long)seed, 270),
                ],
            });
        }
        return new RangeReport
        {
            RunId = "20250101-000000-abcdef",
            Command = "exercise",
            Mode = "embedded",
            StartedUtc = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
            FinishedUtc = new DateTimeOffset(2025, 1, 1, 0, 1, 0, TimeSpan.Zero),
            WallSeconds = 60,
            PeakMemoryBytes = 512L * 1024 * 1024,
            Versions = new RunVersions("0.1.0", ".NET 10.0.0", "Linux", 2, "abc123"),
            Endpoints = new EndpointInfo("http://127.0.0.1:1/", "http://127.0.0.1:2/", "http://127.0.0.1:3/", "http://127.0.0.1:3/"),
            Scenario = scenario,
            Seeds = [1, 2],
            Runs = runs,
            Summary = AttackSummary.Summarize(runs),
            Warnings = ["something to know"],
        };
    }

    [Fact]
    public void Json_round_trips()
    {
        var report = Sample();
        var json = ReportWriter.ToJson(report);
        var back = ReportWriter.FromJson(json);
        Assert.Equal(json, ReportWriter.ToJson(back));
        Assert.Equal(RangeReport.SchemaId, back.Schema);
        Assert.Equal(2, back.Runs.Count);
        Assert.Equal(0.5, back.Runs[1].Attacks[1].After.DisplayRate);
        Assert.Equal(["none", "popular", "random"], back.Scenario.Attacks);
        Assert.Contains("\"displayRate\"", json);
        Assert.Contains("\"meanItemHitRatio\"", json);
        Assert.DoesNotContain("operatorToken", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Summary_gives_mean_and_sample_std_over_repeats()
    {
        var popular = Sample().Summary.Single(s => s.Label == "popular");
        Assert.Equal(2, popular.Repeats);
        Assert.Equal(0.40, popular.DisplayRateAfter.Mean, 12);
        Assert.Equal(Math.Sqrt(0.02), popular.DisplayRateAfter.Std, 12);
        Assert.Equal(0.15, popular.DisplayRateBefore.Mean, 12);
        Assert.Equal(0.25, popular.DisplayRateDelta.Mean, 12);
        Assert.Equal(Math.Sqrt(0.005), popular.DisplayRateDelta.Std, 12);
        Assert.Equal(270, popular.Actions.Mean);
        Assert.Equal(0, popular.Actions.Std);
        Assert.Equal(1.5, popular.PhaseSeconds["configure"].Mean);

        var random = Sample().Summary.Single(s => s.Label == "random");
        Assert.Equal(15, random.Queries.Mean);
        Assert.Equal(Math.Sqrt(50), random.Queries.Std, 12);

        var single = MeanStd.Of([0.3]);
        Assert.Equal((0.3, 0.0, 1), (single.Mean, single.Std, single.N));
    }

    [Fact]
    public void Markdown_holds_one_row_per_attack_with_before_after_and_delta()
    {
        var md = ReportWriter.ToMarkdown(Sample());
        Assert.Contains("## Results (mean ± std over 2 seeds)", md);
        Assert.Contains("| attack | display rate before | display rate after | Δ display rate | HR_t@K before | HR_t@K after | Δ HR_t@K | queries | actions |", md);
        Assert.Contains("| popular | 0.150 ± 0.071 | 0.400 ± 0.141 | +0.250 ± 0.071 | 0.010 ± 0.000 | 0.050 ± 0.000 | +0.040 ± 0.000 | 0 ± 0 | 270 ± 0 |", md);
        Assert.Contains("| none | 0.150 ± 0.071 | 0.150 ± 0.071 | +0.000 ± 0.000 |", md);
        Assert.Contains("## Wall-clock per phase", md);
        Assert.Contains("| popular | 1.50 ± 0.00 | 0.50 ± 0.00 | 0.25 ± 0.00 | 2.25 ± 0.00 |", md);
        Assert.Contains("### Seed 2", md);
        Assert.Contains("`profiles-popular-seed1.jsonl`", md);
        Assert.Contains("something to know", md);
        Assert.Contains("\"attacks\": [", md);
    }

    [Fact]
    public void Svg_is_well_formed_with_two_bars_per_attack()
    {
        var svg = ReportWriter.ToSvg(Sample());
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = doc.Descendants(ns + "rect").Where(r => r.Element(ns + "title") is not null).ToList();
        Assert.Equal(6, bars.Count);
        Assert.Contains(bars, b => b.Element(ns + "title")!.Value.StartsWith("popular after: 0.4", StringComparison.Ordinal));
    }

    [Fact]
    public void WriteAll_writes_whole_files_and_leaves_no_temporaries()
    {
        using var dir = new TempDirectory();
        var written = ReportWriter.WriteAll(Sample(), dir.Path);
        Assert.Equal(3, written.Count);
        Assert.All(written, f => Assert.True(File.Exists(f)));
        Assert.Equal(["display-rate.svg", "report.json", "report.md"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.NotNull(ReportWriter.TryRead(Path.Combine(dir.Path, ReportWriter.JsonFileName)));
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file()
    {
        using var dir = new TempDirectory();
        var path = dir.File("report.json", "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.WriteByte((byte)'x');
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
