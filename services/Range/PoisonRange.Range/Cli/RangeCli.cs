using System.CommandLine;
using Grpc.Core;
using PoisonRange.Client.Profiles;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Range.Embedded;
using PoisonRange.Range.Exercise;
using PoisonRange.Range.Experiments;
using PoisonRange.Range.Reports;
using PoisonRange.Range.Scenarios;

namespace PoisonRange.Range.Cli;

/// <summary>
/// The range command line: the command tree and its options (exercise, inject, experiment,
/// scenario, strategies, models); the work is done in Exercise/, Experiments/ and Reports/. Every failure the operator can
/// act on ends as one line on standard error ("range: ...") and a non-zero exit code:
/// 1 for a failed run, 2 for bad input, 130 when interrupted.
/// </summary>
public static class RangeCli
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
    public const int Interrupted = 130;

    private static readonly Option<string?> ProgressOption = new("--progress")
    {
        Description = "auto (bars on a terminal, else lines on standard error), bar, plain or none.",
        Recursive = true,
    };

    private static readonly Option<bool> VerboseOption = new("--verbose", "-v")
    {
        Description = "Show the embedded services' logs and, on failure, the full error.",
        Recursive = true,
    };

    private static readonly Option<string?> OperatorTokenOption = new("--operator-token")
    {
        Description = "The Referee's operator token when running against a platform (default $POISONRANGE_OPERATOR_TOKEN).",
        Recursive = true,
    };

    /// <summary>Runs the command line; output goes to the given writers (the console by default).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CancellationToken ct = default)
    {
        var output = stdout ?? Console.Out;
        var error = stderr ?? Console.Error;
        var context = new ConsoleOutput(output, error, ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
        var root = BuildRoot(context);

        ParseResult parsed;
        try
        {
            parsed = root.Parse(args);
        }
        catch (Exception e)
        {
            error.WriteLine($"range: {OneLine(e.Message)}");
            return BadInput;
        }
        if (parsed.Errors.Count > 0)
        {
            var more = parsed.Errors.Count > 1 ? $" (and {parsed.Errors.Count - 1} more; see range --help)" : " (see range --help)";
            error.WriteLine($"range: {ExplainParseError(parsed.Errors[0].Message)}{more}");
            return BadInput;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
            }, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return Fail(context, e, parsed.GetValue(VerboseOption), ct);
        }
    }

    private static RootCommand BuildRoot(ConsoleOutput context)
    {
        var root = new RootCommand("PoisonRange range: run data-poisoning exercises against the platform and report them.");
        root.Add(ProgressOption);
        root.Add(VerboseOption);
        root.Add(OperatorTokenOption);

        // exercise
        var exerciseOptions = new ScenarioOptions();
        var exercise = new Command("exercise", "Configure the platform, choose targets, generate and inject each attack, retrain, evaluate and report. Runs every service embedded unless --platform is given.");
        exerciseOptions.AddTo(exercise);
        exercise.SetAction((r, ct) => Guard(context, r, ct, () =>
        {
            var file = exerciseOptions.LoadFile(r);
            var scenario = ScenarioResolver.Resolve(file, exerciseOptions.Overrides(r));
            return RunExerciseAsync(context, r, scenario, "exercise", ct);
        }));
        root.Add(exercise);

        // inject
        var injectOptions = new ScenarioOptions();
        var profilesArgument = new Argument<string>("file") { Description = "A profiles file (JSON Lines) saved by an earlier exercise." };
        var inject = new Command("inject", "Re-inject a saved profiles file: configure the platform as the file's run did, take the clean baseline, inject, retrain, evaluate and report.");
        inject.Add(profilesArgument);
        injectOptions.AddTo(inject, attacks: false);
        inject.SetAction((r, ct) => Guard(context, r, ct, () =>
        {
            var path = r.GetValue(profilesArgument)!;
            var scenario = InjectScenario.Resolve(path, injectOptions.LoadFile(r), injectOptions.Overrides(r));
            return RunExerciseAsync(context, r, scenario, "inject", ct);
        }));
        root.Add(inject);

        // experiment
        var experimentOptions = new ScenarioOptions();
        var experimentName = new Argument<string>("name") { Description = $"The experiment: {string.Join(", ", LeaveOneOutExperiment.Known)}." };
        var experiment = new Command("experiment", $"Run a multi-scenario experiment embedded. {LeaveOneOutExperiment.Name}: victim each of bprmf, fpmc, gru4rec, transrec (LOKI's local models: the other three), attacks none, random, popular, covisit, loki; one report (experiment.json, experiment.md) plus each scenario's.");
        experiment.Add(experimentName);
        experimentOptions.AddTo(experiment, attacks: false);
        experiment.SetAction((r, ct) => Guard(context, r, ct, async () =>
        {
            var session = Session(context, r);
            await ExperimentRunner.RunAsync(r.GetValue(experimentName)!, experimentOptions.LoadFile(r), experimentOptions.Overrides(r), session, context, ct).ConfigureAwait(false);
            return Ok;
        }));
        root.Add(experiment);

        // scenario
        var scenarioOptions = new ScenarioOptions();
        var asJson = new Option<bool>("--json") { Description = "Print JSON instead of YAML." };
        var show = new Command("scenario", "Validate a scenario (file and options) and print it resolved, with every default; a starting point for a scenario file.");
        scenarioOptions.AddTo(show);
        show.Add(asJson);
        show.SetAction((r, ct) => Guard(context, r, ct, () =>
        {
            var scenario = ScenarioResolver.Resolve(scenarioOptions.LoadFile(r), scenarioOptions.Overrides(r));
            context.Out.Write(r.GetValue(asJson) ? ScenarioFile.ToJson(scenario) + "\n" : ScenarioYaml.Write(scenario));
            return Task.FromResult(Ok);
        }));
        root.Add(show);

        // strategies
        var strategyOptions = new ScenarioOptions();
        var strategies = new Command("strategies", "List the attack strategies the agent offers (embedded, or --agent with --platform).");
        strategyOptions.AddTo(strategies);
        strategies.SetAction((r, ct) => Guard(context, r, ct, async () =>
        {
            var scenario = ScenarioResolver.Resolve(strategyOptions.LoadFile(r), strategyOptions.Overrides(r));
            await using var env = await RangeEnvironment.StartAsync(scenario, r.GetValue(OperatorTokenOption), r.GetValue(VerboseOption), ct).ConfigureAwait(false);
            using var services = new RangeServices(env.Endpoints, TimeSpan.FromSeconds(scenario.Services.TimeoutSeconds));
            var agent = services.Agent ?? throw new RangeException("no agent address was given (--agent)");
            var reply = await services.CallAsync("agent", "ListStrategies",
                () => agent.ListStrategiesAsync(new ListStrategiesRequest(), RangeServices.Call(RangeServices.ShortCall, ct)).ResponseAsync, ct).ConfigureAwait(false);
            ConsoleReport.PrintStrategies(context.CreateConsole(), reply);
            return Ok;
        }));
        root.Add(strategies);

        // models
        var models = new Command("models", "List the recommender kinds a scenario may name as the victim, with their hyper-parameters.");
        models.SetAction((r, ct) => Guard(context, r, ct, () =>
        {
            ConsoleReport.PrintModels(context.CreateConsole());
            return Task.FromResult(Ok);
        }));
        root.Add(models);
        return root;
    }

    /// <summary>Runs an action, turning operator-facing failures into one line and an exit code.</summary>
    private static async Task<int> Guard(ConsoleOutput context, ParseResult r, CancellationToken ct, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return Fail(context, e, r.GetValue(VerboseOption), ct);
        }
    }

    private static int Fail(ConsoleOutput context, Exception e, bool verbose, CancellationToken ct)
    {
        var (code, message) = e switch
        {
            ScenarioException => (BadInput, e.Message),
            OperationCanceledException when ct.IsCancellationRequested => (Interrupted, "interrupted"),
            RpcException { StatusCode: StatusCode.Cancelled } when ct.IsCancellationRequested => (Interrupted, "interrupted"),
            RangeException => (Failed, e.Message),
            FakeProfileFileException => (BadInput, "bad profiles file " + e.Message),
            RpcException rpc => (Failed, $"a service call failed ({rpc.StatusCode}): {rpc.Status.Detail}"),
            IOException or UnauthorizedAccessException => (Failed, e.Message),
            _ => (Failed, $"unexpected error ({e.GetType().Name}): {e.Message}"),
        };
        context.Error.WriteLine($"range: {OneLine(message)}");
        if (verbose) context.Error.WriteLine(e.ToString());
        return code;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    /// <summary>Rewrites the parser's type messages ("as expected type 'System.Nullable`1[System.Int32]'") in plain words.</summary>
    internal static string ExplainParseError(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, "^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'");
        if (!m.Success) return OneLine(message);
        var type = m.Groups["type"].Value;
        var kind = type.Contains("UInt64", StringComparison.Ordinal) ? "a non-negative whole number"
            : type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) ? "a number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
            : "a valid value";
        return $"{m.Groups["option"].Value}: expected {kind}, got '{OneLine(m.Groups["value"].Value)}'";
    }

    private static async Task<int> RunExerciseAsync(ConsoleOutput context, ParseResult r, RangeScenario scenario, string command, CancellationToken ct)
    {
        var (report, outputDirectory) = await ExerciseSession.RunAsync(scenario, command, Session(context, r), context, ct).ConfigureAwait(false);
        ConsoleReport.PrintSummary(context.CreateConsole(), report, outputDirectory);
        return Ok;
    }

    /// <summary>The options every exercise shares: operator token, verbosity and --progress (auto: bars on a terminal, else lines).</summary>
    private static SessionOptions Session(ConsoleOutput context, ParseResult r)
    {
        var progress = (r.GetValue(ProgressOption) ?? "auto").Trim().ToLowerInvariant() switch
        {
            "auto" => context.IsTerminal ? ProgressMode.Bar : ProgressMode.Plain,
            "bar" => ProgressMode.Bar,
            "plain" => ProgressMode.Plain,
            "none" => ProgressMode.None,
            var other => throw new ScenarioException($"--progress: expected auto, bar, plain or none (got '{other}')"),
        };
        return new SessionOptions(r.GetValue(OperatorTokenOption), r.GetValue(VerboseOption), progress);
    }
}
