using PoisonRange.Range.Exercise;
using PoisonRange.Range.Reports;
using PoisonRange.Range.Scenarios;

namespace PoisonRange.Range.Experiments;

/// <summary>
/// Runs a multi-scenario experiment: one exercise per planned scenario (each with its own report
/// and console summary), then the experiment's report (experiment.json, experiment.md) and table.
/// </summary>
public static class ExperimentRunner
{
    public static async Task RunAsync(string name, LoadedScenario? loaded, IReadOnlyList<ScenarioOverride> overrides,
        SessionOptions options, ConsoleOutput output, CancellationToken ct)
    {
        if (!LeaveOneOutExperiment.Known.Contains(name, StringComparer.OrdinalIgnoreCase))
            throw new ScenarioException($"unknown experiment '{name}'; known: {string.Join(", ", LeaveOneOutExperiment.Known)}");
        // Resolve once with the base options to validate them and to find the output directory.
        var probe = ScenarioResolver.Resolve(loaded, overrides);
        var outputDirectory = RunDirectory.Create(probe.Output);
        var baseName = probe.Name == "default" ? LeaveOneOutExperiment.Name : probe.Name;
        var plan = LeaveOneOutExperiment.Plan(overrides.Where(o => o.Path != "output").ToList(), baseName, outputDirectory);
        var runId = RunDirectory.NewRunId();
        var started = DateTimeOffset.UtcNow;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var runs = new List<(string, string, RangeReport)>();
        var console = output.CreateConsole();
        foreach (var (victim, scenarioOverrides) in plan)
        {
            var scenario = ScenarioResolver.Resolve(loaded, scenarioOverrides);
            output.Error.WriteLine($"range: {LeaveOneOutExperiment.Name}: victim {victim}, local models {string.Join(", ", LokiProtocol.LeaveOneOutModels(victim))}");
            var (report, directory) = await ExerciseSession.RunAsync(scenario, "experiment", options, output, ct).ConfigureAwait(false);
            runs.Add((victim, directory, report));
            ConsoleReport.PrintSummary(console, report, directory);
        }
        var experiment = LeaveOneOutExperiment.Summarize(runId, started, clock.Elapsed.TotalSeconds, runs);
        ExperimentReportWriter.WriteAll(experiment, outputDirectory);
        ConsoleReport.PrintExperiment(console, experiment, outputDirectory);
    }
}
