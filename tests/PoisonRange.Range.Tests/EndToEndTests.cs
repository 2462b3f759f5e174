using PoisonRange.Client.Profiles;
using PoisonRange.Range.Cli;
using PoisonRange.Range.Reports;
using Xunit;

namespace PoisonRange.Range.Tests;

/// <summary>
/// One embedded exercise (every service in this process on loopback ports, in-memory stores,
/// small synthetic data), shared by the end-to-end tests: none, popular and co-visit over three seeds.
/// </summary>
public sealed class EmbeddedExerciseFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    public string Output => _dir.Combine("exercise");
    public string Root => _dir.Path;
    public int ExitCode { get; private set; }
    public string Errors { get; private set; } = "";
    public RangeReport? Report { get; private set; }

    /// <summary>
    /// 10% fake users, 3 target items and 100 target users (display rate over 20 users moves in
    /// steps of 0.05 and is too noisy for one small run), K = 20, seeds 1..3.
    /// </summary>
    public static readonly string[] ScenarioArgs =
    [
        "--dataset", "synthetic", "--victim", "bprmf",
        "--set", "dataset.synthetic.users=600", "--set", "dataset.synthetic.items=300",
        "--fake-users", "10", "--targets", "3", "--target-band", "unpopular", "--target-users", "100",
        "--actions", "15", "--k", "20", "--progress", "none",
    ];

    public async Task InitializeAsync()
    {
        var stderr = new StringWriter();
        ExitCode = await RangeCli.RunAsync(
            ["exercise", "--attacks", "none,popular,covisit", "--seed", "1", "--repeats", "3", "--output", Output, .. ScenarioArgs],
            new StringWriter(), stderr);
        Errors = stderr.ToString();
        Report = ReportWriter.TryRead(Path.Combine(Output, ReportWriter.JsonFileName));
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

public class EndToEndTests(EmbeddedExerciseFixture fixture) : IClassFixture<EmbeddedExerciseFixture>
{
    private RangeReport Report
    {
        get
        {
            Assert.True(fixture.ExitCode == 0, $"range exercise exited {fixture.ExitCode}: {fixture.Errors}");
            return fixture.Report ?? throw new Xunit.Sdk.XunitException("report.json is missing or unreadable");
        }
    }

    [Fact]
    public void Popular_raises_the_display_rate_over_none()
    {
        var none = Report.Summary.Single(s => s.Label == "none");
        var popular = Report.Summary.Single(s => s.Label == "popular");
        Assert.Equal(3, popular.Repeats);
        Assert.True(popular.DisplayRateAfter.Mean > none.DisplayRateAfter.Mean,
            $"popular {popular.DisplayRateAfter.Mean:0.000} should beat none {none.DisplayRateAfter.Mean:0.000}");
        Assert.True(popular.HitRatioDelta.Mean > 0);
        var covisit = Report.Summary.Single(s => s.Label == "covisit");
        Assert.True(covisit.DisplayRateAfter.Mean > none.DisplayRateAfter.Mean,
            $"covisit {covisit.DisplayRateAfter.Mean:0.000} should beat none {none.DisplayRateAfter.Mean:0.000}");
        // None is the clean baseline itself.
        Assert.Equal(none.DisplayRateBefore.Mean, none.DisplayRateAfter.Mean);
    }

    [Fact]
    public void Every_attack_of_a_seed_shares_one_baseline_and_the_targets()
    {
        Assert.Equal([1UL, 2UL, 3UL], Report.Seeds);
        foreach (var run in Report.Runs)
        {
            Assert.Equal(3, run.TargetItems.Count);
            Assert.Equal(100, run.TargetUsers.Count);
            Assert.Equal(60, run.FakeUsers);
            Assert.All(run.Attacks, a => Assert.Equal(
                (run.Baseline.DisplayRate, run.Baseline.MeanItemHitRatio, run.Baseline.ModelVersion),
                (a.Before.DisplayRate, a.Before.MeanItemHitRatio, a.Before.ModelVersion)));
            Assert.Equal(["configure", "targets", "retrain", "evaluate"], run.BaselinePhases.Select(p => p.Name));

            var popular = run.Attacks.Single(a => a.Label == "popular");
            Assert.Equal(["configure", "generate", "inject", "retrain", "evaluate"], popular.Phases.Select(p => p.Name));
            Assert.Equal(60, popular.Cost.Profiles);
            Assert.Equal(60, popular.Cost.FakeAccounts);
            Assert.Equal(popular.Cost.Actions, popular.Cost.FakeActions);
            Assert.True(popular.Cost.Actions is > 0 and <= 60 * 15);
            Assert.All(popular.Phases, p => Assert.True(p.PeakMemoryBytes > 0));
        }
        Assert.NotEqual(Report.Runs[0].TargetItems, Report.Runs[1].TargetItems);
    }

    [Fact]
    public void Reports_and_profiles_are_written_beside_each_other()
    {
        var files = Directory.GetFiles(fixture.Output).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
            ["display-rate.svg", "profiles-covisit-seed1.jsonl", "profiles-covisit-seed2.jsonl", "profiles-covisit-seed3.jsonl", "profiles-popular-seed1.jsonl", "profiles-popular-seed2.jsonl", "profiles-popular-seed3.jsonl", "report.json", "report.md"],
            files);
        var md = File.ReadAllText(Path.Combine(fixture.Output, ReportWriter.MarkdownFileName));
        Assert.Contains("| popular |", md);
        Assert.Equal("embedded", Report.Mode);
        Assert.Equal("synthetic", Report.Runs[0].Dataset.Name);

        var saved = FakeProfileFile.Read(Path.Combine(fixture.Output, "profiles-popular-seed2.jsonl"));
        Assert.Equal("popular", saved.Metadata.Strategy);
        Assert.Equal(2UL, saved.Metadata.Seed);
        Assert.Equal(Report.Runs[1].TargetItems, saved.Metadata.TargetItems);
        Assert.Equal(60, saved.Profiles.Count);
    }

    [Fact]
    public async Task Saved_profiles_are_injected_again_without_generating()
    {
        var profiles = Path.Combine(fixture.Output, "profiles-popular-seed1.jsonl");
        var output = Path.Combine(fixture.Root, "inject");
        var stderr = new StringWriter();
        // The scenario comes from the report.json beside the file; targets and seed from its header.
        int code = await RangeCli.RunAsync(["inject", profiles, "--output", output, "--progress", "none"], new StringWriter(), stderr);
        Assert.True(code == 0, stderr.ToString());

        var again = ReportWriter.TryRead(Path.Combine(output, ReportWriter.JsonFileName))!;
        var original = Report.Runs[0];
        var run = Assert.Single(again.Runs);
        Assert.Equal("inject", again.Command);
        Assert.Equal(1UL, run.Seed);
        Assert.Equal(original.TargetItems, run.TargetItems);
        Assert.Equal(original.TargetUsers, run.TargetUsers);
        Assert.Equal(original.Baseline.DisplayRate, run.Baseline.DisplayRate);
        Assert.Equal(original.Baseline.MeanItemHitRatio, run.Baseline.MeanItemHitRatio);

        var attack = Assert.Single(run.Attacks);
        Assert.Equal("file-profiles-popular-seed1", attack.Label);
        Assert.Equal(["configure", "inject", "retrain", "evaluate"], attack.Phases.Select(p => p.Name));
        Assert.Equal(0, attack.Cost.Queries);
        var originalPopular = original.Attacks.Single(a => a.Label == "popular");
        Assert.Equal(originalPopular.Cost.Actions, attack.Cost.Actions);
        Assert.Equal(originalPopular.Cost.FakeAccounts, attack.Cost.FakeAccounts);
        Assert.True(attack.After.MeanItemHitRatio > run.Baseline.MeanItemHitRatio);
        Assert.Empty(Directory.GetFiles(output, "profiles-*"));
    }

    [Fact]
    public async Task Unknown_attack_is_one_line_before_any_training()
    {
        var stderr = new StringWriter();
        int code = await RangeCli.RunAsync(
            ["exercise", "--attacks", "none,teleport", "--output", Path.Combine(fixture.Root, "unknown"), "--progress", "none"],
            new StringWriter(), stderr);
        Assert.Equal(RangeCli.Failed, code);
        var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("range: unknown attack 'teleport'; the agent offers: none, ", line);
        Assert.False(Directory.Exists(Path.Combine(fixture.Root, "unknown")));
    }
}
