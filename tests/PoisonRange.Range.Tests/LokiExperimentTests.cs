using System.Text.Json;
using PoisonRange.Client.Profiles;
using PoisonRange.Range.Cli;
using PoisonRange.Range.Experiments;
using PoisonRange.Range.Reports;
using Xunit;

namespace PoisonRange.Range.Tests;

/// <summary>
/// `range experiment loki-leave-one-out` at toy scale: tiny synthetic data, victims and local
/// models trained for few epochs, LOKI with a handful of episodes and a short LiSSA.
/// </summary>
public sealed class LokiExperimentFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    public string Output => _dir.Combine("experiment");
    public int ExitCode { get; private set; }
    public string Errors { get; private set; } = "";
    public string Console { get; private set; } = "";
    public ExperimentReport? Report { get; private set; }

    public const string ScenarioYaml = """
        name: loki-toy
        dataset:
          source: synthetic
          synthetic: { users: 120, items: 60, rank: 4, meanLength: 12 }
        victim:
          hyperParameters: { epochs: "3" }
        attackParameters:
          loki:
            loki_episodes: "8"
            loki_episodes_per_round: "4"
            loki_updates_per_round: "2"
            loki_groups: "4"
            loki_nmf_rank: "4"
            loki_model_epochs: "2"
            loki_probe_queries: "6"
            loki_lissa_depth: "5"
            loki_lissa_batch: "64"
        targets: { items: 2, band: unpopular, users: 5 }
        budget: { fakeUsers: 4, actionsPerUser: 6 }
        k: 10
        alsoK: [20]
        seed: 1
        repeats: 1
        """;

    public async Task InitializeAsync()
    {
        var scenario = _dir.Combine("toy.yaml");
        await File.WriteAllTextAsync(scenario, ScenarioYaml);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        ExitCode = await RangeCli.RunAsync(
            ["experiment", LeaveOneOutExperiment.Name, "--scenario", scenario, "--output", Output, "--progress", "none"], stdout, stderr);
        Errors = stderr.ToString();
        Console = stdout.ToString();
        var path = Path.Combine(Output, ExperimentReportWriter.JsonFileName);
        if (File.Exists(path)) Report = ExperimentReportWriter.FromJson(await File.ReadAllTextAsync(path));
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

public class LokiExperimentTests(LokiExperimentFixture fixture) : IClassFixture<LokiExperimentFixture>
{
    private ExperimentReport Report
    {
        get
        {
            Assert.True(fixture.ExitCode == 0, $"range experiment exited {fixture.ExitCode}: {fixture.Errors}");
            return fixture.Report ?? throw new Xunit.Sdk.XunitException("experiment.json is missing or unreadable");
        }
    }

    [Fact]
    public void The_experiment_runs_the_four_leave_one_out_scenarios_with_all_five_attacks()
    {
        Assert.Equal(["bprmf", "fpmc", "gru4rec", "transrec"], Report.Scenarios.Select(s => s.Victim));
        foreach (var s in Report.Scenarios)
        {
            Assert.Equal(["none", "random", "popular", "covisit", "loki"], s.Summary.Select(a => a.Label));
            Assert.DoesNotContain(s.Victim, s.LocalModels);
            Assert.Equal(3, s.LocalModels.Count);
            Assert.Contains("simulator", s.LokiPhaseSeconds.Keys);
            Assert.Contains("train", s.LokiPhaseSeconds.Keys);
            Assert.True(File.Exists(Path.Combine(s.ReportDirectory, ReportWriter.JsonFileName)), s.ReportDirectory);
        }
        Assert.True(File.Exists(Path.Combine(fixture.Output, ExperimentReportWriter.MarkdownFileName)));
        var md = File.ReadAllText(Path.Combine(fixture.Output, ExperimentReportWriter.MarkdownFileName));
        Assert.Contains("LOKI against the best baseline", md, StringComparison.Ordinal);
        Assert.Contains("loki-leave-one-out", fixture.Console, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_attack_is_also_evaluated_at_the_further_K_and_a_longer_list_shows_at_least_as_much()
    {
        foreach (var s in Report.Scenarios)
        {
            var report = ReportWriter.TryRead(Path.Combine(s.ReportDirectory, ReportWriter.JsonFileName))!;
            foreach (var attack in report.Runs.Single().Attacks)
            {
                var at20 = Assert.Single(attack.After.AlsoK);
                Assert.Equal(20, at20.K);
                // A top-20 list holds the top-10 list: every target user reached at 10 is reached at 20.
                Assert.True(at20.DisplayRate >= attack.After.DisplayRate, $"{s.Victim} {attack.Label}: {at20.DisplayRate} at 20 < {attack.After.DisplayRate} at 10");
                Assert.True(at20.MeanItemHitRatio >= attack.After.MeanItemHitRatio);
                Assert.Equal(20, Assert.Single(attack.Before.AlsoK).K);
            }
            Assert.All(s.Summary, a => Assert.Equal(20, Assert.Single(a.AlsoK).K));
        }
        Assert.Equal([10, 20], LeaveOneOutExperiment.AllK(Report));
        var md = File.ReadAllText(Path.Combine(fixture.Output, ExperimentReportWriter.MarkdownFileName));
        Assert.Contains("## Results at K = 20", md, StringComparison.Ordinal);
        Assert.Contains("- K = 20, mean over 4 scenarios: LOKI display rate", md, StringComparison.Ordinal);
        Assert.Contains("K = 20: LOKI display rate", fixture.Console, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_local_model_of_the_leave_one_out_scenarios_enters_the_estimator()
    {
        // The four LOKI kinds all have an influence view, so no local model is left out of the
        // reward (the renormalisation when one is: LokiPipelineStrategy's tests in the agent).
        foreach (var s in Report.Scenarios)
            Assert.DoesNotContain(s.Notes, n => n.Contains("cannot be differentiated", StringComparison.Ordinal));
        var bprmf = Report.Scenarios.Single(s => s.Victim == "bprmf");
        Assert.Equal(["fpmc", "gru4rec", "transrec"], bprmf.LocalModels.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Loki_profiles_are_valid_against_the_embedded_platform()
    {
        foreach (var s in Report.Scenarios)
        {
            var report = ReportWriter.TryRead(Path.Combine(s.ReportDirectory, ReportWriter.JsonFileName))!;
            var run = report.Runs.Single();
            var loki = run.Attacks.Single(a => a.Label == "loki");
            var doc = FakeProfileFile.Read(loki.ProfilesFile!);
            Assert.Equal(run.FakeUsers, doc.Profiles.Count);
            Assert.Equal(4, doc.Profiles.Count);
            foreach (var p in doc.Profiles)
            {
                Assert.InRange(p.Interactions.Count, 1, run.ActionsPerUser);
                var items = p.Interactions.Select(i => i.ItemId).ToList();
                Assert.Equal(items.Count, items.Distinct(StringComparer.Ordinal).Count());
            }
            // Every profile reached the platform (the referee's count includes the simulator's probe accounts).
            Assert.True(loki.Cost.FakeAccounts >= doc.Profiles.Count, $"{loki.Cost.FakeAccounts} attacker accounts for {doc.Profiles.Count} profiles");
            Assert.Equal(doc.Profiles.Sum(p => p.Interactions.Count), loki.Cost.Actions);
            Assert.True(loki.StrategyPhases.Count >= 4);
        }
    }
}
