using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using PoisonRange.Range.Scenarios;

namespace PoisonRange.Range.Cli;

/// <summary>The options that choose or override a scenario, shared by exercise, inject and scenario.</summary>
public sealed class ScenarioOptions
{
    public Option<string?> Scenario { get; } = new("--scenario", "-s") { Description = "Scenario file (JSON or YAML); the options below override it." };
    public Option<string?> Name { get; } = new("--name") { Description = "Scenario name for the report." };
    public Option<string?> Dataset { get; } = new("--dataset", "-d") { Description = "'synthetic', a dataset name under the data directory, or a file path." };
    public Option<string?> Format { get; } = new("--format") { Description = "Dataset format: auto, movielens, delimited, recbole, sequence." };
    public Option<string?> DataDirectory { get; } = new("--data-dir") { Description = "Embedded mode: where dataset names are looked up (default $POISONRANGE_DATA or ../shared/data)." };
    public Option<string?> Victim { get; } = new("--victim") { Description = "The platform's victim model (e.g. bprmf, poprec)." };
    public Option<string[]> Attacks { get; } = new("--attacks", "--attack", "-a") { Description = "Attacks to run against one baseline, comma-separated: none, random, popular, covisit, loki, ... or file:<profiles.jsonl>.", AllowMultipleArgumentsPerToken = true };
    public Option<int?> Targets { get; } = new("--targets", "-t") { Description = "Number of target items the range draws." };
    public Option<string?> TargetBand { get; } = new("--target-band") { Description = "Popularity band of target items: all, unpopular (bottom half), popular (top half), or percentiles lo-hi." };
    public Option<string[]> TargetItems { get; } = new("--target-items") { Description = "Explicit target item ids (comma-separated); overrides --targets and --target-band.", AllowMultipleArgumentsPerToken = true };
    public Option<int?> TargetUsers { get; } = new("--target-users") { Description = "Number of target users drawn from normal users." };
    public Option<string[]> TargetUserIds { get; } = new("--target-user-ids") { Description = "Explicit target user ids (comma-separated); overrides --target-users.", AllowMultipleArgumentsPerToken = true };
    public Option<string?> FakeUsers { get; } = new("--fake-users") { Description = "Fake users as a percentage of normal users (e.g. 3 or 3%)." };
    public Option<int?> FakeUserCount { get; } = new("--fake-user-count") { Description = "An absolute number of fake users (overrides --fake-users)." };
    public Option<int?> Actions { get; } = new("--actions") { Description = "Actions (interactions) per fake user." };
    public Option<int?> K { get; } = new("--k", "-k") { Description = "Length of the evaluated recommendation lists (HR_t@K, display rate)." };
    public Option<string[]> AlsoK { get; } = new("--also-k") { Description = "Further list lengths evaluated beside K on the same models (comma-separated, e.g. 40).", AllowMultipleArgumentsPerToken = true };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Seed of the first repeat." };
    public Option<int?> Repeats { get; } = new("--repeats", "-r") { Description = "Repeats with seeds seed, seed+1, ...; the report gives mean and standard deviation." };
    public Option<string[]> Seeds { get; } = new("--seeds") { Description = "Explicit seeds (comma-separated), one per repeat.", AllowMultipleArgumentsPerToken = true };
    public Option<string?> Output { get; } = new("--output", "-o") { Description = "Output directory (default runs/<timestamp>/)." };
    public Option<string?> Platform { get; } = new("--platform") { Description = "Address of a running platform's Platform API; without it every service runs embedded." };
    public Option<string?> Referee { get; } = new("--referee") { Description = "Address of the running platform's Referee API." };
    public Option<string?> Agent { get; } = new("--agent") { Description = "Address of the running agent." };
    public Option<string?> Injector { get; } = new("--injector") { Description = "Address of the running injector." };
    public Option<string?> AttackerKey { get; } = new("--attacker-key") { Description = "The key the running attacker services use (default $POISONRANGE_ATTACKER_KEY or 'attacker')." };
    public Option<int?> Timeout { get; } = new("--timeout") { Description = "Deadline in seconds of each long call (configure, retrain, generate, inject)." };
    public Option<bool> Embedded { get; } = new("--embedded") { Description = "Run every service in this process even if the scenario names service addresses." };
    public Option<string[]> Set { get; } = new("--set") { Description = "Override any scenario field: --set platform.limits.queryBudgetPerKey=500 (repeatable)." };

    public void AddTo(Command command, bool attacks = true)
    {
        command.Add(Scenario);
        command.Add(Name);
        command.Add(Dataset);
        command.Add(Format);
        command.Add(DataDirectory);
        command.Add(Victim);
        if (attacks) command.Add(Attacks);
        command.Add(Targets);
        command.Add(TargetBand);
        command.Add(TargetItems);
        command.Add(TargetUsers);
        command.Add(TargetUserIds);
        command.Add(FakeUsers);
        command.Add(FakeUserCount);
        command.Add(Actions);
        command.Add(K);
        command.Add(AlsoK);
        command.Add(Seed);
        command.Add(Repeats);
        command.Add(Seeds);
        command.Add(Output);
        command.Add(Platform);
        command.Add(Referee);
        command.Add(Agent);
        command.Add(Injector);
        command.Add(AttackerKey);
        command.Add(Timeout);
        command.Add(Embedded);
        command.Add(Set);
    }

    /// <summary>The scenario file named by --scenario, loaded, or null.</summary>
    public LoadedScenario? LoadFile(ParseResult result)
    {
        var path = result.GetValue(Scenario);
        if (path is null) return null;
        if (!File.Exists(path)) throw new ScenarioException($"scenario file not found: {path}");
        return ScenarioFile.Load(path);
    }

    /// <summary>Every given option as a scenario override, in a fixed order (--set last).</summary>
    public List<ScenarioOverride> Overrides(ParseResult r)
    {
        var list = new List<ScenarioOverride>();
        void Text(Option<string?> o, string path)
        {
            var v = r.GetValue(o);
            if (v is not null) list.Add(new ScenarioOverride(path, JsonValue.Create(v), o.Name));
        }
        void Int(Option<int?> o, string path)
        {
            var v = r.GetValue(o);
            if (v is not null) list.Add(new ScenarioOverride(path, JsonValue.Create(v.Value), o.Name));
        }
        void List(Option<string[]> o, string path)
        {
            if (r.GetResult(o) is null) return;
            var items = Split(r.GetValue(o));
            list.Add(new ScenarioOverride(path, new JsonArray(items.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()), o.Name));
        }

        Text(Name, "name");
        Text(Dataset, "dataset.source");
        Text(Format, "dataset.format");
        Text(DataDirectory, "services.dataDirectory");
        Text(Victim, "victim.kind");
        if (r.CommandResult.Command.Options.Contains(Attacks)) List(Attacks, "attacks");
        Int(Targets, "targets.items");
        Text(TargetBand, "targets.band");
        List(TargetItems, "targets.itemIds");
        Int(TargetUsers, "targets.users");
        List(TargetUserIds, "targets.userIds");
        var fake = r.GetValue(FakeUsers);
        if (fake is not null)
        {
            var t = fake.Trim().TrimEnd('%').Trim();
            if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var pct))
                throw new ScenarioException($"--fake-users: expected a percentage such as 3 or 3% (got '{fake}')");
            list.Add(new ScenarioOverride("budget.fakeUserPercent", JsonValue.Create(pct), FakeUsers.Name));
        }
        Int(FakeUserCount, "budget.fakeUsers");
        Int(Actions, "budget.actionsPerUser");
        Int(K, "k");
        if (r.GetResult(AlsoK) is not null)
        {
            var ks = new JsonArray();
            foreach (var k in Split(r.GetValue(AlsoK)))
            {
                if (!int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
                    throw new ScenarioException($"--also-k: '{k}' is not a whole number of at least 1");
                ks.Add(value);
            }
            list.Add(new ScenarioOverride("alsoK", ks, AlsoK.Name));
        }
        var seed = r.GetValue(Seed);
        if (seed is not null)
        {
            list.Add(new ScenarioOverride("seed", JsonValue.Create(seed.Value), Seed.Name));
            if (r.GetResult(Seeds) is null) list.Add(new ScenarioOverride("seeds", new JsonArray(), Seed.Name));
        }
        var repeats = r.GetValue(Repeats);
        if (repeats is not null)
        {
            list.Add(new ScenarioOverride("repeats", JsonValue.Create(repeats.Value), Repeats.Name));
            if (r.GetResult(Seeds) is null) list.Add(new ScenarioOverride("seeds", new JsonArray(), Repeats.Name));
        }
        if (r.GetResult(Seeds) is not null)
        {
            var seeds = new JsonArray();
            foreach (var s in Split(r.GetValue(Seeds)))
            {
                if (!ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                    throw new ScenarioException($"--seeds: '{s}' is not a non-negative whole number");
                seeds.Add(value);
            }
            list.Add(new ScenarioOverride("seeds", seeds, Seeds.Name));
        }
        Text(Output, "output");
        if (r.GetValue(Embedded))
        {
            if (r.GetValue(Platform) is not null) throw new ScenarioException("--embedded and --platform exclude each other");
            foreach (var field in new[] { "services.platform", "services.referee", "services.agent", "services.injector" })
                list.Add(new ScenarioOverride(field, null, Embedded.Name));
        }
        Text(Platform, "services.platform");
        Text(Referee, "services.referee");
        Text(Agent, "services.agent");
        Text(Injector, "services.injector");
        Text(AttackerKey, "services.attackerKey");
        Int(Timeout, "services.timeoutSeconds");
        foreach (var assignment in r.GetValue(Set) ?? [])
            list.Add(ScenarioOverride.ParseAssignment(assignment));
        return list;
    }

    /// <summary>Values given as repeated tokens and/or comma-separated lists.</summary>
    internal static List<string> Split(IEnumerable<string>? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
}
