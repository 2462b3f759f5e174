using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using PoisonRange.Client.Profiles;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Recommenders;
using PoisonRange.Range.Embedded;
using PoisonRange.Range.Exercise;
using PoisonRange.Range.Experiments;
using PoisonRange.Range.Reports;
using PoisonRange.Range.Scenarios;
using Spectre.Console;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace PoisonRange.Range.Cli;

/// <summary>
/// The range command line: exercise, inject, scenario, strategies. Every failure the operator can
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
        var context = new CliContext(output, error, ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
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

    private sealed record CliContext(TextWriter Out, TextWriter Error, bool IsTerminal);

    private static RootCommand BuildRoot(CliContext context)
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
            var scenario = ResolveInjectScenario(path, injectOptions, r);
            return RunExerciseAsync(context, r, scenario, "inject", ct);
        }));
        root.Add(inject);

        // experiment
        var experimentOptions = new ScenarioOptions();
        var experimentName = new Argument<string>("name") { Description = $"The experiment: {string.Join(", ", LeaveOneOutExperiment.Known)}." };
        var experiment = new Command("experiment", $"Run a multi-scenario experiment embedded. {LeaveOneOutExperiment.Name}: victim each of bprmf, fpmc, gru4rec, transrec (LOKI's local models: the other three), attacks none, random, popular, covisit, loki; one report (experiment.json, experiment.md) plus each scenario's.");
        experiment.Add(experimentName);
        experimentOptions.AddTo(experiment, attacks: false);
        experiment.SetAction((r, ct) => Guard(context, r, ct, () => RunExperimentAsync(context, r, r.GetValue(experimentName)!, experimentOptions, ct)));
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
            context.Out.Write(r.GetValue(asJson) ? ScenarioFile.ToJson(scenario) + "\n" : ToYaml(scenario));
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
            var console = CreateConsole(context);
            var table = new Table().AddColumn("strategy").AddColumn("description");
            table.AddRow(AttackSpec.None, "no attack: the clean baseline itself");
            foreach (var s in reply.Strategies.Where(s => !string.Equals(s.Name, AttackSpec.None, StringComparison.OrdinalIgnoreCase)))
                table.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Description));
            console.Write(table);
            return Ok;
        }));
        root.Add(strategies);

        // models
        var models = new Command("models", "List the recommender kinds a scenario may name as the victim, with their hyper-parameters.");
        models.SetAction((r, ct) => Guard(context, r, ct, () =>
        {
            var console = CreateConsole(context);
            var table = new Table().AddColumn("kind").AddColumn("description").AddColumn("hyper-parameters");
            foreach (var registration in RecommenderFactory.Registrations)
                table.AddRow(Markup.Escape(registration.Kind), Markup.Escape(registration.Description), Markup.Escape(string.Join(", ", registration.HyperParameterNames)));
            console.Write(table);
            return Task.FromResult(Ok);
        }));
        root.Add(models);
        return root;
    }

    /// <summary>Runs an action, turning operator-facing failures into one line and an exit code.</summary>
    private static async Task<int> Guard(CliContext context, ParseResult r, CancellationToken ct, Func<Task<int>> action)
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

    private static int Fail(CliContext context, Exception e, bool verbose, CancellationToken ct)
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

    // ---- exercise and inject ----

    private static async Task<int> RunExerciseAsync(CliContext context, ParseResult r, RangeScenario scenario, string command, CancellationToken ct)
    {
        var (report, outputDirectory) = await ExecuteExerciseAsync(context, r, scenario, command, ct).ConfigureAwait(false);
        PrintSummary(CreateConsole(context), report, outputDirectory);
        return Ok;
    }

    private static async Task<int> RunExperimentAsync(CliContext context, ParseResult r, string name, ScenarioOptions options, CancellationToken ct)
    {
        if (!LeaveOneOutExperiment.Known.Contains(name, StringComparer.OrdinalIgnoreCase))
            throw new ScenarioException($"unknown experiment '{name}'; known: {string.Join(", ", LeaveOneOutExperiment.Known)}");
        var loaded = options.LoadFile(r);
        var overrides = options.Overrides(r);
        // Resolve once with the base options to validate them and to find the output directory.
        var probe = ScenarioResolver.Resolve(loaded, overrides);
        var outputDirectory = CreateOutputDirectory(probe.Output);
        var baseName = probe.Name == "default" ? LeaveOneOutExperiment.Name : probe.Name;
        var plan = LeaveOneOutExperiment.Plan(overrides.Where(o => o.Path != "output").ToList(), baseName, outputDirectory);
        var runId = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{RandomNumberGenerator.GetHexString(6, lowercase: true)}";
        var started = DateTimeOffset.UtcNow;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var runs = new List<(string, string, RangeReport)>();
        var console = CreateConsole(context);
        foreach (var (victim, scenarioOverrides) in plan)
        {
            var scenario = ScenarioResolver.Resolve(loaded, scenarioOverrides);
            context.Error.WriteLine($"range: {LeaveOneOutExperiment.Name}: victim {victim}, local models {string.Join(", ", ExerciseRunner.LeaveOneOutModels(victim))}");
            var (report, directory) = await ExecuteExerciseAsync(context, r, scenario, "experiment", ct).ConfigureAwait(false);
            runs.Add((victim, directory, report));
            PrintSummary(console, report, directory);
        }
        var experiment = LeaveOneOutExperiment.Summarize(runId, started, clock.Elapsed.TotalSeconds, runs);
        LeaveOneOutExperiment.WriteAll(experiment, outputDirectory);
        PrintExperiment(console, experiment, outputDirectory);
        return Ok;
    }

    private static void PrintExperiment(IAnsiConsole console, ExperimentReport report, string outputDirectory)
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
                    LeaveOneOutExperiment.F(a.DisplayRateDelta, repeats, signed: true), LeaveOneOutExperiment.F(a.HitRatioDelta, repeats, signed: true),
                    LeaveOneOutExperiment.F(a.Queries, repeats, "0"), generate.ToString("0.0", CultureInfo.InvariantCulture),
                    a.PhaseSeconds.Values.Sum(p => p.Mean).ToString("0.0", CultureInfo.InvariantCulture));
            }
        console.Write(table);
        foreach (var k in LeaveOneOutExperiment.AllK(report))
            if (LeaveOneOutExperiment.Compare(report, k) is { } c)
                console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"K = {k}: LOKI display rate {c.Loki:0.000} (mean of {c.Scenarios} scenarios); best baseline per scenario {c.BestPerScenario:0.000} ({LeaveOneOutExperiment.Relative(c.Loki, c.BestPerScenario)}); {c.OverallBest} {c.OverallBestMean:0.000} ({LeaveOneOutExperiment.Relative(c.Loki, c.OverallBestMean)})"));
        foreach (var s in report.Scenarios.Where(s => s.LokiPhaseSeconds.Count > 0))
            console.WriteLine($"{s.Victim}: LOKI inside generate: {string.Join(", ", s.LokiPhaseSeconds.Select(p => $"{p.Key} {p.Value.Mean.ToString("0.0", CultureInfo.InvariantCulture)} s"))}");
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Experiment report: {Path.Combine(outputDirectory, LeaveOneOutExperiment.MarkdownFileName)} ({report.WallSeconds:0.0} s)"));
    }

    private static async Task<(RangeReport Report, string OutputDirectory)> ExecuteExerciseAsync(CliContext context, ParseResult r, RangeScenario scenario, string command, CancellationToken ct)
    {
        var verbose = r.GetValue(VerboseOption);
        var progress = (r.GetValue(ProgressOption) ?? "auto").Trim().ToLowerInvariant();
        if (progress is not ("auto" or "bar" or "plain" or "none"))
            throw new ScenarioException($"--progress: expected auto, bar, plain or none (got '{progress}')");
        if (progress == "auto") progress = context.IsTerminal ? "bar" : "plain";

        var runId = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{RandomNumberGenerator.GetHexString(6, lowercase: true)}";
        var outputDirectory = CreateOutputDirectory(scenario.Output);
        scenario.Output = outputDirectory;
        bool completed = false;
        try
        {
            await using var env = await RangeEnvironment.StartAsync(scenario, r.GetValue(OperatorTokenOption), verbose, ct).ConfigureAwait(false);
            using var services = new RangeServices(env.Endpoints, TimeSpan.FromSeconds(scenario.Services.TimeoutSeconds));
            var settings = new RunSettings(runId, command, env.Mode, outputDirectory, env.PlatformDatasetSource(scenario.Dataset.Source));
            var console = CreateConsole(context);

            RangeReport report;
            if (progress == "bar")
            {
                report = await console.Progress()
                    .AutoClear(false)
                    .HideCompleted(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                    .StartAsync(ctx => new ExerciseRunner(scenario, services, settings, new ProgressBarObserver(ctx)).RunAsync(ct))
                    .ConfigureAwait(false);
            }
            else
            {
                IExerciseObserver observer = progress == "plain" ? new LineObserver(context.Error) : NullExerciseObserver.Instance;
                report = await new ExerciseRunner(scenario, services, settings, observer).RunAsync(ct).ConfigureAwait(false);
            }

            ReportWriter.WriteAll(report, outputDirectory);
            completed = true;
            return (report, outputDirectory);
        }
        finally
        {
            if (!completed) RemoveIfEmpty(outputDirectory);
        }
    }

    /// <summary>
    /// The scenario of `range inject`: the --scenario file if given, else the scenario of the
    /// report.json beside the profiles file, else the defaults; then the file's header (targets,
    /// seed, actions per user); then the command-line options.
    /// </summary>
    private static RangeScenario ResolveInjectScenario(string path, ScenarioOptions options, ParseResult r)
    {
        if (!File.Exists(path)) throw new ScenarioException($"profiles file not found: {path}");
        var document = FakeProfileFile.Read(path);
        var full = Path.GetFullPath(path);

        var loaded = options.LoadFile(r);
        if (loaded is null)
        {
            var beside = Path.Combine(Path.GetDirectoryName(full)!, ReportWriter.JsonFileName);
            if (ReportWriter.TryRead(beside) is { } previous)
            {
                var s = previous.Scenario;
                s.Output = null;
                s.FillMissingSections();
                loaded = new LoadedScenario(s, beside, new Dictionary<string, int>());
            }
        }

        var header = document.Metadata;
        var source = $"the header of {Path.GetFileName(path)}";
        var fromFile = new List<ScenarioOverride>
        {
            new("attacks", new JsonArray(JsonValue.Create(AttackSpec.FilePrefix + full)), "range inject <file>"),
            new("seeds", new JsonArray(JsonValue.Create(header.Seed)), source),
        };
        if (header.TargetItems.Count > 0)
            fromFile.Add(new("targets.itemIds", new JsonArray(header.TargetItems.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()), source));
        if (header.TargetUsers.Count > 0)
            fromFile.Add(new("targets.userIds", new JsonArray(header.TargetUsers.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()), source));
        int longest = document.Profiles.Count == 0 ? 0 : document.Profiles.Max(p => p.Interactions.Count);
        int actions = Math.Max(header.ActionsPerUser, longest);
        if (actions > 0) fromFile.Add(new("budget.actionsPerUser", JsonValue.Create(actions), source));

        return ScenarioResolver.Resolve(loaded, [.. fromFile, .. options.Overrides(r)]);
    }

    private static string CreateOutputDirectory(string? requested)
    {
        string dir;
        if (!string.IsNullOrWhiteSpace(requested))
        {
            dir = requested;
        }
        else
        {
            var stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            dir = Path.Combine("runs", stamp);
            for (int i = 2; Directory.Exists(dir); i++) dir = Path.Combine("runs", $"{stamp}-{i}");
        }
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RangeException($"cannot create the output directory {dir}: {e.Message}", e);
        }
        return dir;
    }

    private static void RemoveIfEmpty(string dir)
    {
        try
        {
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static IAnsiConsole CreateConsole(CliContext context)
    {
        if (context.IsTerminal) return AnsiConsole.Console;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(context.Out),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Redirected output has no width; keep tables on one line per row for logs.
        console.Profile.Width = 200;
        return console;
    }

    private static void PrintSummary(IAnsiConsole console, RangeReport report, string outputDirectory)
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

    private static string F(MeanStd m, bool withStd, string format = "0.000", bool signed = false) => ReportWriter.Fmt(m, withStd, format, signed);

    private static string ToYaml(RangeScenario scenario)
    {
        // Through JSON first, so YAML shows exactly the fields and names a scenario file takes.
        var tree = JsonSerializer.SerializeToNode(scenario, ScenarioFile.JsonOptions);
        var plain = ToPlain(tree);
        var serializer = new SerializerBuilder().WithNamingConvention(NullNamingConvention.Instance).WithQuotingNecessaryStrings().Build();
        return serializer.Serialize(plain);
    }

    private static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => ToPlain(kv.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<ulong>(out var u) => u,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };
}
