using System.Text.Json.Nodes;
using PoisonRange.Client.Profiles;
using PoisonRange.Range.Reports;

namespace PoisonRange.Range.Scenarios;

/// <summary>The scenario of <c>range inject</c>: a saved profiles file replayed on the platform its run configured.</summary>
public static class InjectScenario
{
    /// <summary>
    /// The --scenario file if given (<paramref name="loaded"/>), else the scenario of the
    /// report.json beside the profiles file, else the defaults; then the file's header (targets,
    /// seed, actions per user); then the command-line options (<paramref name="overrides"/>).
    /// </summary>
    public static RangeScenario Resolve(string path, LoadedScenario? loaded, IReadOnlyList<ScenarioOverride> overrides)
    {
        if (!File.Exists(path)) throw new ScenarioException($"profiles file not found: {path}");
        var document = FakeProfileFile.Read(path);
        var full = Path.GetFullPath(path);

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

        return ScenarioResolver.Resolve(loaded, [.. fromFile, .. overrides]);
    }
}
