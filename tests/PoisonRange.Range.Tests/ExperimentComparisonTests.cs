using PoisonRange.Range.Experiments;
using PoisonRange.Range.Reports;
using Xunit;

namespace PoisonRange.Range.Tests;

public class ExperimentComparisonTests
{
    private static MeanStd M(double v) => new(v, 0, 1);

    private static AttackSummary Attack(string label, double before, double after, double after40)
    {
        return new AttackSummary
        {
            Attack = label,
            Label = label,
            Repeats = 1,
            DisplayRateBefore = M(before),
            DisplayRateAfter = M(after),
            DisplayRateDelta = M(after - before),
            HitRatioBefore = M(0.01),
            HitRatioAfter = M(0.01 + (after - before) / 10),
            HitRatioDelta = M((after - before) / 10),
            AlsoK =
            [
                new KSummary
                {
                    K = 40,
                    DisplayRateBefore = M(before * 2),
                    DisplayRateAfter = M(after40),
                    DisplayRateDelta = M(after40 - before * 2),
                    HitRatioBefore = M(0.02),
                    HitRatioAfter = M(0.03),
                    HitRatioDelta = M(0.01),
                },
            ],
            Queries = M(0),
            Actions = M(0),
            PhaseSeconds = new Dictionary<string, MeanStd>(),
        };
    }

    private static ExperimentScenario Scenario(string victim, params AttackSummary[] summary) => new()
    {
        Victim = victim,
        LocalModels = ["a", "b", "c"],
        ReportDirectory = "/tmp/" + victim,
        WallSeconds = 1,
        Summary = summary,
        BaselinePhaseSeconds = new Dictionary<string, MeanStd>(),
        LokiPhaseSeconds = new Dictionary<string, MeanStd>(),
    };

    private static ExperimentReport Report() => new()
    {
        RunId = "r",
        Experiment = LeaveOneOutExperiment.Name,
        StartedUtc = DateTimeOffset.UnixEpoch,
        WallSeconds = 1,
        Dataset = "d",
        K = 10,
        Seeds = [1],
        Scenarios =
        [
            // bprmf: covisit is the best baseline at 10 (0.30), popular at 40 (0.70); LOKI 0.45 / 0.60.
            Scenario("bprmf", Attack("none", 0.1, 0.1, 0.2), Attack("random", 0.1, 0.15, 0.3), Attack("popular", 0.1, 0.2, 0.7), Attack("covisit", 0.1, 0.3, 0.5), Attack("loki", 0.1, 0.45, 0.6)),
            // fpmc: popular is the best at both; LOKI 0.25 / 0.50 against 0.35 / 0.40.
            Scenario("fpmc", Attack("none", 0.1, 0.1, 0.2), Attack("random", 0.1, 0.1, 0.2), Attack("popular", 0.1, 0.35, 0.4), Attack("covisit", 0.1, 0.2, 0.3), Attack("loki", 0.1, 0.25, 0.5)),
        ],
    };

    [Fact]
    public void The_best_baseline_is_chosen_per_K_by_display_rate_and_never_none_or_loki()
    {
        var r = Report();
        Assert.Equal("covisit", LeaveOneOutExperiment.BestBaseline(r.Scenarios[0], 10, 10)!.Label);
        Assert.Equal("popular", LeaveOneOutExperiment.BestBaseline(r.Scenarios[0], 40, 10)!.Label);
        Assert.Equal("popular", LeaveOneOutExperiment.BestBaseline(r.Scenarios[1], 10, 10)!.Label);
    }

    [Fact]
    public void Comparison_averages_over_scenarios_against_the_best_per_scenario_and_the_best_on_average()
    {
        var r = Report();
        var at10 = LeaveOneOutExperiment.Compare(r, 10)!;
        Assert.Equal(2, at10.Scenarios);
        Assert.Equal((0.45 + 0.25) / 2, at10.Loki, 12);
        Assert.Equal((0.30 + 0.35) / 2, at10.BestPerScenario, 12);
        // On average popular (0.275) beats covisit (0.25).
        Assert.Equal("popular", at10.OverallBest);
        Assert.Equal(0.275, at10.OverallBestMean, 12);

        var at40 = LeaveOneOutExperiment.Compare(r, 40)!;
        Assert.Equal((0.6 + 0.5) / 2, at40.Loki, 12);
        Assert.Equal((0.7 + 0.4) / 2, at40.BestPerScenario, 12);
        Assert.Equal([10, 40], LeaveOneOutExperiment.AllK(r));

        Assert.Equal("+8%", LeaveOneOutExperiment.Relative(at10.Loki, at10.BestPerScenario));
        Assert.Equal("–", LeaveOneOutExperiment.Relative(0, 0));
        Assert.Equal("from 0", LeaveOneOutExperiment.Relative(0.1, 0));
    }

    [Fact]
    public void Markdown_reports_each_K_and_says_where_loki_loses()
    {
        var md = ExperimentReportWriter.ToMarkdown(Report());
        Assert.Contains("## Results at K = 40", md, StringComparison.Ordinal);
        Assert.Contains("| bprmf | a, b, c | 10 | covisit | 0.300 | 0.450 | +0.350 |", md, StringComparison.Ordinal);
        Assert.Contains("| fpmc | a, b, c | 10 | popular | 0.350 | 0.250 | +0.150 |", md, StringComparison.Ordinal);
        Assert.Contains("| no |", md, StringComparison.Ordinal);
        Assert.Contains("- K = 10, mean over 2 scenarios: LOKI display rate 0.350 against 0.325", md, StringComparison.Ordinal);
    }

    [Fact]
    public void A_change_that_rounds_to_zero_prints_as_plus_zero_and_negative_changes_with_a_minus()
    {
        Assert.Equal("+0.000", ReportWriter.Signed(-0.0001, "0.000"));
        Assert.Equal("+0.000", ReportWriter.Signed(0, "0.000"));
        Assert.Equal("−0.025", ReportWriter.Signed(-0.025, "0.000"));
        Assert.Equal("+0.000 ± 0.000", ExperimentReportWriter.F(new MeanStd(-0.0002, 0, 2), withStd: true, signed: true));
        Assert.DoesNotContain("-0.000", ExperimentReportWriter.ToMarkdown(Report()), StringComparison.Ordinal);
    }
}
