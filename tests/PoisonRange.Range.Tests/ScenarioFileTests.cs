using System.Text.Json.Nodes;
using PoisonRange.Range.Scenarios;
using Xunit;

namespace PoisonRange.Range.Tests;

public class ScenarioFileTests
{
    private const string Yaml = """
        # a small exercise
        name: tail-promotion
        dataset:
          source: movielens-100k
          minInteractions: 5
        victim:
          kind: bprmf
          hyperParameters:
            epochs: "20"
        attacks: [none, popular, covisit]
        targets:
          items: 3
          band: 0-20
          userIds: [7, 11]
        budget:
          fakeUserPercent: 5
          actionsPerUser: 10
        k: 20
        repeats: 2
        platform:
          limits:
            queryBudgetPerKey: 500
        """;

    private const string Json = """
        {
          // a small exercise
          "name": "tail-promotion",
          "dataset": { "source": "movielens-100k", "minInteractions": 5 },
          "victim": { "kind": "bprmf", "hyperParameters": { "epochs": "20" } },
          "attacks": ["none", "popular", "covisit"],
          "targets": { "items": 3, "band": "0-20", "userIds": ["7", "11"] },
          "budget": { "fakeUserPercent": 5, "actionsPerUser": 10 },
          "k": 20,
          "repeats": 2,
          "platform": { "limits": { "queryBudgetPerKey": 500 } },
        }
        """;

    [Fact]
    public void Yaml_and_json_give_the_same_scenario()
    {
        var fromYaml = ScenarioResolver.Resolve(ScenarioFile.Parse(Yaml, "s.yaml", yaml: true), []);
        var fromJson = ScenarioResolver.Resolve(ScenarioFile.Parse(Json, "s.json", yaml: false), []);

        Assert.Equal(ScenarioFile.ToJson(fromJson), ScenarioFile.ToJson(fromYaml));
        Assert.Equal("tail-promotion", fromYaml.Name);
        Assert.Equal("movielens-100k", fromYaml.Dataset.Source);
        Assert.Equal(["none", "popular", "covisit"], fromYaml.Attacks);
        Assert.Equal(3, fromYaml.Targets.Items);
        Assert.Equal(["7", "11"], fromYaml.Targets.UserIds);
        Assert.Equal(5, fromYaml.Budget.FakeUserPercent);
        Assert.Equal(20, fromYaml.K);
        Assert.Equal([1UL, 2UL], fromYaml.ResolvedSeeds());
        Assert.Equal(500, fromYaml.Platform.Limits.QueryBudgetPerKey);
        Assert.Equal("20", fromYaml.Victim.HyperParameters["epochs"]);
    }

    [Fact]
    public void Missing_fields_keep_the_defaults()
    {
        var s = ScenarioResolver.Resolve(ScenarioFile.Parse("k: 40\n", "s.yaml", yaml: true), []);
        Assert.Equal(40, s.K);
        Assert.Equal("synthetic", s.Dataset.Source);
        Assert.Equal(["none", "random", "popular", "covisit"], s.Attacks);
        Assert.Equal(5, s.Targets.Items);
        Assert.Equal(20, s.Targets.Users);
        Assert.Equal(3, s.Budget.FakeUserPercent);
        Assert.Equal(15, s.Budget.ActionsPerUser);
    }

    [Fact]
    public void Empty_sections_and_empty_files_are_defaults()
    {
        var empty = ScenarioResolver.Resolve(ScenarioFile.Parse("", "s.yaml", yaml: true), []);
        Assert.Equal(10, empty.K);
        var nulls = ScenarioResolver.Resolve(ScenarioFile.Parse("targets:\nbudget:\n", "s.yaml", yaml: true), []);
        Assert.Equal(5, nulls.Targets.Items);
        Assert.Equal(15, nulls.Budget.ActionsPerUser);
    }

    [Fact]
    public void Unknown_yaml_field_is_named_with_its_line()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioFile.Parse("name: x\ntargets:\n  items: 3\n  colour: red\n", "bad.yaml", yaml: true));
        Assert.Equal("bad.yaml:4: targets.colour: unknown field 'colour'", e.Message);
    }

    [Fact]
    public void Unknown_json_field_is_named_with_its_line()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioFile.Parse("{\n  \"k\": 10,\n  \"budget\": {\n    \"fakeUsersPercent\": 3\n  }\n}", "bad.json", yaml: false));
        Assert.StartsWith("bad.json:4: budget.fakeUsersPercent: unknown field", e.Message);
    }

    [Fact]
    public void Wrong_type_is_named_with_its_line()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioFile.Parse("name: x\nk: ten\n", "bad.yaml", yaml: true));
        Assert.StartsWith("bad.yaml:2: k: expected a whole number", e.Message);

        var j = Assert.Throws<ScenarioException>(() => ScenarioFile.Parse("{\n\"targets\": {\n\"items\": [1, 2]\n}\n}", "bad.json", yaml: false));
        Assert.StartsWith("bad.json:3: targets.items: expected a whole number", j.Message);
    }

    [Fact]
    public void Syntax_errors_carry_the_line()
    {
        var y = Assert.Throws<ScenarioException>(() => ScenarioFile.Parse("name: x\ntargets:\n  items: 3\n   users: [1, 2\n", "broken.yaml", yaml: true));
        Assert.Matches(@"^broken\.yaml:\d+: invalid YAML: ", y.Message);
        Assert.DoesNotContain("\n", y.Message);

        var j = Assert.Throws<ScenarioException>(() => ScenarioFile.Parse("{\n  \"k\": 10,\n  \"name\" \"x\"\n}", "broken.json", yaml: false));
        Assert.StartsWith("broken.json:3: invalid JSON", j.Message);
    }

    [Fact]
    public void Validation_errors_name_the_field_and_its_line()
    {
        var loaded = ScenarioFile.Parse("name: x\ntargets:\n  items: 0\n", "s.yaml", yaml: true);
        var e = Assert.Throws<ScenarioException>(() => ScenarioResolver.Resolve(loaded, []));
        Assert.Equal("s.yaml:3: targets.items: must be at least 1 (got 0)", e.Message);

        var band = ScenarioFile.Parse("{\n \"targets\": {\n  \"band\": \"middling\"\n }\n}", "s.json", yaml: false);
        var b = Assert.Throws<ScenarioException>(() => ScenarioResolver.Resolve(band, []));
        Assert.StartsWith("s.json:3: targets.band: must be all, unpopular, popular", b.Message);
    }

    [Theory]
    [InlineData("attacks: []", "attacks: must list at least one attack")]
    [InlineData("attacks: [popular, popular]", "attacks[1]: 'popular' is listed twice")]
    [InlineData("attacks: ['pop ular']", "attacks[0]: 'pop ular' is not an attack name")]
    [InlineData("attacks: ['file:/no/such/profiles.jsonl']", "attacks[0]: profiles file not found")]
    [InlineData("budget:\n  fakeUserPercent: 150", "budget.fakeUserPercent: must be within (0, 100]")]
    [InlineData("budget:\n  actionsPerUser: 0", "budget.actionsPerUser: must be at least 1")]
    [InlineData("repeats: 0", "repeats: must be at least 1")]
    [InlineData("dataset:\n  format: parquet", "dataset.format: must be one of")]
    [InlineData("services:\n  platform: localhost:5001", "services.platform: must be an http:// or https:// address")]
    [InlineData("services:\n  platform: http://localhost:5001", "services.referee: is required with a platform address")]
    [InlineData("services:\n  referee: http://localhost:5002", "services.platform: is required when the referee")]
    [InlineData("platform:\n  limits:\n    actionsPerAccount: 5", "platform.limits.actionsPerAccount: (5) is below budget.actionsPerUser (15)")]
    [InlineData("k: 10\nalsoK: [40, 0]", "alsoK: every K must be at least 1")]
    [InlineData("k: 10\nalsoK: [10, 40]", "alsoK: holds a K twice or repeats k (10)")]
    [InlineData("k: 10\nalsoK: [40]\nplatform:\n  limits:\n    kMax: 20", "alsoK: must not exceed platform.limits.kMax (20)")]
    public void Invalid_values_are_reported_by_field(string yaml, string expected)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioResolver.Resolve(ScenarioFile.Parse(yaml + "\n", "s.yaml", yaml: true), []));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("s.yaml:", e.Message);
    }

    [Fact]
    public void Command_line_overrides_win_over_the_file()
    {
        var loaded = ScenarioFile.Parse(Yaml, "s.yaml", yaml: true);
        var s = ScenarioResolver.Resolve(loaded,
        [
            new ScenarioOverride("k", JsonValue.Create(5), "--k"),
            new ScenarioOverride("attacks", new JsonArray("random"), "--attacks"),
            new ScenarioOverride("targets.band", JsonValue.Create("all"), "--target-band"),
            ScenarioOverride.ParseAssignment("platform.limits.queryBudgetPerKey=77"),
            ScenarioOverride.ParseAssignment("victim.hyperParameters.epochs=\"5\""),
            new ScenarioOverride("alsoK", new JsonArray(20, 40), "--also-k"),
        ]);
        Assert.Equal(5, s.K);
        Assert.Equal([20, 40], s.AlsoK);
        Assert.Equal(["random"], s.Attacks);
        Assert.Equal("all", s.Targets.Band);
        Assert.Equal(77, s.Platform.Limits.QueryBudgetPerKey);
        Assert.Equal("5", s.Victim.HyperParameters["epochs"]);
        // Untouched fields stay as the file says.
        Assert.Equal(3, s.Targets.Items);
        Assert.Equal("tail-promotion", s.Name);
    }

    [Fact]
    public void Override_errors_name_the_option()
    {
        var loaded = ScenarioFile.Parse(Yaml, "s.yaml", yaml: true);
        var e = Assert.Throws<ScenarioException>(() => ScenarioResolver.Resolve(loaded, [new ScenarioOverride("k", JsonValue.Create(0), "--k")]));
        Assert.Equal("--k: k must be at least 1 (got 0)", e.Message);

        var set = Assert.Throws<ScenarioException>(() => ScenarioResolver.Resolve(loaded, [ScenarioOverride.ParseAssignment("bogus.field=1")]));
        Assert.Contains("unknown field 'bogus.field'", set.Message);

        var type = Assert.Throws<ScenarioException>(() => ScenarioResolver.Resolve(loaded, [ScenarioOverride.ParseAssignment("targets.items=many")]));
        Assert.StartsWith("--set targets.items", type.Message);
    }

    [Fact]
    public void Files_are_read_by_extension_and_missing_files_are_reported()
    {
        using var dir = new TempDirectory();
        var yaml = ScenarioFile.Load(dir.File("a.yml", "k: 12\n"));
        Assert.Equal(12, yaml.Scenario.K);
        var json = ScenarioFile.Load(dir.File("a.json", "{\"k\": 13}"));
        Assert.Equal(13, json.Scenario.K);

        var e = Assert.Throws<ScenarioException>(() => ScenarioFile.Load(dir.Combine("missing.yaml")));
        Assert.StartsWith("cannot read scenario file", e.Message);
    }

    [Fact]
    public void Explicit_seeds_replace_seed_and_repeats()
    {
        var s = ScenarioResolver.Resolve(ScenarioFile.Parse("seed: 4\nrepeats: 3\n", "s.yaml", yaml: true), []);
        Assert.Equal([4UL, 5UL, 6UL], s.ResolvedSeeds());
        var explicitSeeds = ScenarioResolver.Resolve(ScenarioFile.Parse("seeds: [9, 2]\n", "s.yaml", yaml: true), []);
        Assert.Equal([9UL, 2UL], explicitSeeds.ResolvedSeeds());
    }
}

public class ExampleScenarioTests
{
    [Fact]
    public void The_shipped_example_is_valid()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Scenarios", "Examples", "loki-protocol.yaml");
        var s = ScenarioResolver.Resolve(ScenarioFile.Load(path), []);
        Assert.Equal("ml-100k", s.Dataset.Source);
        Assert.Equal(20, s.Targets.Items);
        Assert.Equal(10, s.K);
        Assert.Equal([40], s.AlsoK);
        Assert.Equal([1UL, 2UL, 3UL], s.ResolvedSeeds());
    }

    [Fact]
    public void The_shipped_yelp_example_differs_from_the_ml100k_one_only_in_its_dataset()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Scenarios", "Examples");
        var ml = ScenarioResolver.Resolve(ScenarioFile.Load(Path.Combine(dir, "loki-protocol.yaml")), []);
        var yelp = ScenarioResolver.Resolve(ScenarioFile.Load(Path.Combine(dir, "loki-protocol-yelp.yaml")), []);
        Assert.Equal("yelp", yelp.Dataset.Source);
        Assert.Equal(10, yelp.Dataset.MinInteractions);
        Assert.Equal((ml.Targets.Items, ml.Targets.Users, ml.Targets.Band), (yelp.Targets.Items, yelp.Targets.Users, yelp.Targets.Band));
        Assert.Equal((ml.Budget.FakeUserPercent, ml.Budget.ActionsPerUser), (yelp.Budget.FakeUserPercent, yelp.Budget.ActionsPerUser));
        Assert.Equal(ml.K, yelp.K);
        Assert.Equal(ml.AlsoK, yelp.AlsoK);
        Assert.Equal(ml.Attacks, yelp.Attacks);
    }
}
