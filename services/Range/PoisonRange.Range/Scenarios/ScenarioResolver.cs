using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PoisonRange.Range.Targets;

namespace PoisonRange.Range.Scenarios;

/// <summary>One command-line override of a scenario field.</summary>
/// <param name="Path">Field path in camelCase, e.g. "targets.items" or "budget.fakeUserPercent".</param>
/// <param name="Value">The new value (JSON).</param>
/// <param name="Source">The option it came from, for error messages (e.g. "--k").</param>
public sealed record ScenarioOverride(string Path, JsonNode? Value, string Source)
{
    /// <summary>Parses "path=value" as given to --set; the value is read as JSON when it parses, else as text.</summary>
    public static ScenarioOverride ParseAssignment(string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0)
            throw new ScenarioException($"--set expects field=value, got '{assignment}'.");
        var path = assignment[..eq].Trim();
        var raw = assignment[(eq + 1)..].Trim();
        JsonNode? value;
        try
        {
            value = raw.Length == 0 ? JsonValue.Create("") : JsonNode.Parse(raw);
        }
        catch (JsonException)
        {
            value = JsonValue.Create(raw);
        }
        return new ScenarioOverride(path, value, $"--set {path}");
    }
}

/// <summary>A validation failure, naming the field.</summary>
public sealed record ScenarioError(string Path, string Message);

/// <summary>Merges a scenario file with command-line overrides and validates the result.</summary>
public static partial class ScenarioResolver
{
    private static readonly string[] Formats = ["auto", "movielens", "delimited", "recbole", "sequence"];

    /// <summary>
    /// Applies <paramref name="overrides"/> to the file's scenario (or the defaults) and validates.
    /// Throws <see cref="ScenarioException"/> with a one-line message naming the bad field and
    /// where it came from (file:line or the option).
    /// </summary>
    public static RangeScenario Resolve(LoadedScenario? file, IReadOnlyList<ScenarioOverride> overrides)
    {
        var scenario = file?.Scenario ?? ScenarioFile.Defaults();
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        if (overrides.Count > 0)
        {
            var tree = JsonSerializer.SerializeToNode(scenario, ScenarioFile.JsonOptions)!.AsObject();
            foreach (var o in overrides)
            {
                Set(tree, o);
                origins[o.Path] = o.Source;
            }
            try
            {
                scenario = tree.Deserialize<RangeScenario>(ScenarioFile.JsonOptions) ?? new RangeScenario();
            }
            catch (JsonException e)
            {
                var path = ScenarioFile.NormalizePath(e.Path);
                var source = SourceOf(path, origins) ?? "option";
                throw new ScenarioException($"{source}: {(path.Length > 0 ? path + ": " : "")}invalid value");
            }
            scenario.FillMissingSections();
        }

        var errors = Validate(scenario);
        if (errors.Count > 0)
        {
            var first = errors[0];
            var more = errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "";
            var option = SourceOf(first.Path, origins);
            if (option is not null && !option.StartsWith("--set", StringComparison.Ordinal) && option.StartsWith("--", StringComparison.Ordinal))
                throw new ScenarioException($"{option}: {first.Path} {first.Message}{more}");
            var where = option ?? file?.Locate(first.Path) ?? "scenario";
            throw new ScenarioException($"{where}: {first.Path}: {first.Message}{more}");
        }
        Normalize(scenario);
        return scenario;
    }

    private static string? SourceOf(string path, Dictionary<string, string> origins)
    {
        foreach (var (p, source) in origins)
            if (path == p || path.StartsWith(p + ".", StringComparison.Ordinal) || path.StartsWith(p + "[", StringComparison.Ordinal))
                return source;
        return null;
    }

    private static void Set(JsonObject tree, ScenarioOverride o)
    {
        var parts = o.Path.Split('.', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ScenarioException($"{o.Source}: empty field name.");
        JsonObject node = tree;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            var key = FindKey(node, parts[i]);
            if (key is null && node == tree)
                throw new ScenarioException($"{o.Source}: unknown field '{o.Path}'.");
            key ??= parts[i];
            if (node[key] is not JsonObject child)
            {
                child = new JsonObject();
                node[key] = child;
            }
            node = child;
        }
        var last = FindKey(node, parts[^1]) ?? parts[^1];
        node[last] = o.Value?.DeepClone();
    }

    private static string? FindKey(JsonObject obj, string name)
    {
        foreach (var kv in obj)
            if (string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase))
                return kv.Key;
        return null;
    }

    /// <summary>Every problem of the scenario, in field order; empty when it can run.</summary>
    public static List<ScenarioError> Validate(RangeScenario s)
    {
        var errors = new List<ScenarioError>();
        void Check(bool ok, string path, string message)
        {
            if (!ok) errors.Add(new ScenarioError(path, message));
        }

        Check(!string.IsNullOrWhiteSpace(s.Name), "name", "must not be empty");

        Check(!string.IsNullOrWhiteSpace(s.Dataset.Source), "dataset.source", "must name 'synthetic', a dataset under the data directory, or a file");
        Check(Formats.Contains(s.Dataset.Format?.Trim().ToLowerInvariant()), "dataset.format", $"must be one of {string.Join(", ", Formats)} (got '{s.Dataset.Format}')");
        Check(s.Dataset.MinInteractions >= 0, "dataset.minInteractions", $"must not be negative (got {s.Dataset.MinInteractions})");
        Check(s.Dataset.Synthetic.Users >= 0, "dataset.synthetic.users", "must not be negative");
        Check(s.Dataset.Synthetic.Items >= 0, "dataset.synthetic.items", "must not be negative");
        Check(s.Dataset.Synthetic.Rank >= 0, "dataset.synthetic.rank", "must not be negative");
        Check(s.Dataset.Synthetic.MeanLength >= 0, "dataset.synthetic.meanLength", "must not be negative");

        Check(!string.IsNullOrWhiteSpace(s.Victim.Kind) && NameRegex().IsMatch(s.Victim.Kind.Trim()), "victim.kind", $"must be a model name such as bprmf (got '{s.Victim.Kind}')");

        Check(s.Attacks.Count > 0, "attacks", "must list at least one attack");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < s.Attacks.Count; i++)
        {
            var a = s.Attacks[i]?.Trim() ?? "";
            var path = $"attacks[{i}]";
            if (AttackSpec.TryParse(a, out var spec, out var problem))
            {
                Check(seen.Add(spec!.Label), path, $"'{a}' is listed twice");
                if (spec.File is not null)
                    Check(File.Exists(spec.File), path, $"profiles file not found: {spec.File}");
            }
            else
            {
                Check(false, path, problem!);
            }
        }

        Check(s.Targets.ItemIds.Count > 0 || s.Targets.Items >= 1, "targets.items", $"must be at least 1 (got {s.Targets.Items})");
        Check(TargetBand.TryParse(s.Targets.Band, out _, out var bandProblem), "targets.band", bandProblem ?? "");
        Check(s.Targets.ItemIds.All(id => !string.IsNullOrWhiteSpace(id)), "targets.itemIds", "must not hold empty ids");
        Check(s.Targets.ItemIds.Distinct(StringComparer.Ordinal).Count() == s.Targets.ItemIds.Count, "targets.itemIds", "holds an id twice");
        Check(s.Targets.UserIds.Count > 0 || s.Targets.Users >= 1, "targets.users", $"must be at least 1 (got {s.Targets.Users})");
        Check(s.Targets.UserIds.All(id => !string.IsNullOrWhiteSpace(id)), "targets.userIds", "must not hold empty ids");
        Check(s.Targets.UserIds.Distinct(StringComparer.Ordinal).Count() == s.Targets.UserIds.Count, "targets.userIds", "holds an id twice");

        Check(s.Budget.FakeUserPercent > 0 && s.Budget.FakeUserPercent <= 100 || s.Budget.FakeUsers > 0, "budget.fakeUserPercent", $"must be within (0, 100] (got {s.Budget.FakeUserPercent.ToString(CultureInfo.InvariantCulture)})");
        Check(s.Budget.FakeUsers >= 0, "budget.fakeUsers", $"must not be negative (got {s.Budget.FakeUsers})");
        Check(s.Budget.ActionsPerUser >= 1, "budget.actionsPerUser", $"must be at least 1 (got {s.Budget.ActionsPerUser})");

        Check(s.K >= 1, "k", $"must be at least 1 (got {s.K})");
        Check(s.Platform.Limits.KMax <= 0 || s.K <= s.Platform.Limits.KMax, "k", $"must not exceed platform.limits.kMax ({s.Platform.Limits.KMax})");
        Check(s.AlsoK.All(k => k >= 1), "alsoK", $"every K must be at least 1 (got {string.Join(", ", s.AlsoK)})");
        Check(s.Platform.Limits.KMax <= 0 || s.AlsoK.All(k => k <= s.Platform.Limits.KMax), "alsoK", $"must not exceed platform.limits.kMax ({s.Platform.Limits.KMax})");
        Check(s.AlsoK.Distinct().Count() == s.AlsoK.Count && !s.AlsoK.Contains(s.K), "alsoK", $"holds a K twice or repeats k ({s.K})");
        Check(s.Seeds.Count > 0 || s.Repeats >= 1, "repeats", $"must be at least 1 (got {s.Repeats})");
        Check(s.Seeds.Distinct().Count() == s.Seeds.Count, "seeds", "holds a seed twice");

        var r = s.Platform.Retrain;
        Check(r.IntervalMs >= 0, "platform.retrain.intervalMs", "must not be negative");
        Check(r.EveryNewInteractions >= 0, "platform.retrain.everyNewInteractions", "must not be negative");
        Check(r.Jitter is >= 0 and <= 1, "platform.retrain.jitter", "must be within 0..1");
        var l = s.Platform.Limits;
        Check(l.ActionsPerAccount <= 0 || l.ActionsPerAccount >= s.Budget.ActionsPerUser, "platform.limits.actionsPerAccount",
            $"({l.ActionsPerAccount}) is below budget.actionsPerUser ({s.Budget.ActionsPerUser})");
        Check(l.MinRating <= l.MaxRating || l.MaxRating == 0, "platform.limits.minRating", "must not exceed maxRating");
        Check(s.Platform.Knowledge.InteractionFraction is >= 0 and <= 1, "platform.knowledge.interactionFraction", "must be within 0..1");
        Check(s.Platform.Knowledge.UserFraction is >= 0 and <= 1, "platform.knowledge.userFraction", "must be within 0..1");

        Check(s.Injection.BatchSize >= 0, "injection.batchSize", "must not be negative");

        var sv = s.Services;
        foreach (var (value, path) in new[] { (sv.Platform, "services.platform"), (sv.Referee, "services.referee"), (sv.Agent, "services.agent"), (sv.Injector, "services.injector") })
            Check(value is null || IsHttpUrl(value), path, $"must be an http:// or https:// address (got '{value}')");
        bool remote = !string.IsNullOrWhiteSpace(sv.Platform);
        if (!remote)
        {
            Check(sv.Referee is null && sv.Agent is null && sv.Injector is null, "services.platform",
                "is required when the referee, agent or injector address is given (without it the range runs embedded)");
        }
        else
        {
            Check(sv.Referee is not null, "services.referee", "is required with a platform address (--referee)");
            Check(sv.Agent is not null || s.Attacks.All(a => AttackSpec.TryParse(a, out var spec, out _) && !spec!.NeedsAgent), "services.agent", "is required with a platform address (--agent)");
            Check(sv.Injector is not null || s.Attacks.All(a => AttackSpec.TryParse(a, out var spec, out _) && !spec!.NeedsInjector), "services.injector", "is required with a platform address (--injector)");
        }
        Check(sv.AttackerKey is null || !string.IsNullOrWhiteSpace(sv.AttackerKey), "services.attackerKey", "must not be empty");
        Check(sv.TimeoutSeconds >= 1, "services.timeoutSeconds", "must be at least 1");
        return errors;
    }

    private static void Normalize(RangeScenario s)
    {
        s.Name = s.Name.Trim();
        s.Dataset.Source = s.Dataset.Source.Trim();
        s.Dataset.Format = s.Dataset.Format.Trim().ToLowerInvariant();
        s.Victim.Kind = s.Victim.Kind.Trim().ToLowerInvariant();
        s.Targets.Band = s.Targets.Band.Trim().ToLowerInvariant();
        for (int i = 0; i < s.Attacks.Count; i++)
        {
            AttackSpec.TryParse(s.Attacks[i], out var spec, out _);
            s.Attacks[i] = spec!.ToString();
        }
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    internal static partial Regex NameRegex();
}

/// <summary>One entry of a scenario's attacks: a strategy the agent runs, "none", or a saved profiles file.</summary>
public sealed record AttackSpec(string Strategy, string? File)
{
    public const string None = "none";
    public const string FilePrefix = "file:";

    /// <summary>A short label for reports and file names.</summary>
    public string Label => File is null ? Strategy : "file-" + Path.GetFileNameWithoutExtension(File);

    public bool IsNone => File is null && Strategy == None;
    public bool NeedsAgent => File is null && !IsNone;
    public bool NeedsInjector => !IsNone;

    public static bool TryParse(string? text, out AttackSpec? spec, out string? problem)
    {
        spec = null;
        problem = null;
        var t = text?.Trim() ?? "";
        if (t.Length == 0)
        {
            problem = "an attack name must not be empty";
            return false;
        }
        if (t.StartsWith(FilePrefix, StringComparison.OrdinalIgnoreCase))
        {
            var path = t[FilePrefix.Length..].Trim();
            if (path.Length == 0)
            {
                problem = "'file:' needs a profiles file path";
                return false;
            }
            spec = new AttackSpec("file", Path.GetFullPath(path));
            return true;
        }
        if (!ScenarioResolver.NameRegex().IsMatch(t))
        {
            problem = $"'{t}' is not an attack name (letters, digits, '-', '_') or file:<path>";
            return false;
        }
        spec = new AttackSpec(t.ToLowerInvariant(), null);
        return true;
    }

    public override string ToString() => File is null ? Strategy : FilePrefix + File;
}
