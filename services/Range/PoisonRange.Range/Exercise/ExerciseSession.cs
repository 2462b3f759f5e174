using PoisonRange.Range.Embedded;
using PoisonRange.Range.Reports;
using PoisonRange.Range.Scenarios;
using Spectre.Console;

namespace PoisonRange.Range.Exercise;

/// <summary>How an exercise shows its progress: nothing, one line per phase on standard error, or live bars.</summary>
public enum ProgressMode
{
    None,
    Plain,
    Bar,
}

/// <summary>What every command that runs exercises shares: the operator token, verbosity and the progress display.</summary>
public sealed record SessionOptions(string? OperatorToken, bool Verbose, ProgressMode Progress);

/// <summary>
/// One exercise end to end: its output directory, the services (embedded, or the addresses the
/// scenario gives), the runner with the chosen progress display, and report.json / report.md.
/// An exercise that fails before writing anything leaves no directory behind.
/// </summary>
public static class ExerciseSession
{
    public static async Task<(RangeReport Report, string OutputDirectory)> RunAsync(
        RangeScenario scenario, string command, SessionOptions options, ConsoleOutput output, CancellationToken ct)
    {
        var runId = RunDirectory.NewRunId();
        var outputDirectory = RunDirectory.Create(scenario.Output);
        scenario.Output = outputDirectory;
        bool completed = false;
        try
        {
            await using var env = await RangeEnvironment.StartAsync(scenario, options.OperatorToken, options.Verbose, ct).ConfigureAwait(false);
            using var services = new RangeServices(env.Endpoints, TimeSpan.FromSeconds(scenario.Services.TimeoutSeconds));
            var settings = new RunSettings(runId, command, env.Mode, outputDirectory, env.PlatformDatasetSource(scenario.Dataset.Source));

            RangeReport report;
            if (options.Progress == ProgressMode.Bar)
            {
                report = await output.CreateConsole().Progress()
                    .AutoClear(false)
                    .HideCompleted(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                    .StartAsync(ctx => new ExerciseRunner(scenario, services, settings, new ProgressBarObserver(ctx)).RunAsync(ct))
                    .ConfigureAwait(false);
            }
            else
            {
                IExerciseObserver observer = options.Progress == ProgressMode.Plain ? new LineObserver(output.Error) : NullExerciseObserver.Instance;
                report = await new ExerciseRunner(scenario, services, settings, observer).RunAsync(ct).ConfigureAwait(false);
            }

            ReportWriter.WriteAll(report, outputDirectory);
            completed = true;
            return (report, outputDirectory);
        }
        finally
        {
            if (!completed) RunDirectory.RemoveIfEmpty(outputDirectory);
        }
    }
}
