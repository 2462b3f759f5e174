using System.Net;
using System.Net.Sockets;
using PoisonRange.Range.Cli;
using Xunit;

namespace PoisonRange.Range.Tests;

public class CommandLineTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await RangeCli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void AssertOneLine(string err, string expectedStart)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith(expectedStart, lines[0]);
        Assert.DoesNotContain("   at ", err);
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task Models_lists_every_registered_kind_with_its_hyper_parameters()
    {
        var (code, output, err) = await Run("models");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        foreach (var kind in new[] { "bprmf", "fpmc", "gru4rec", "transrec", "neumf", "wrmf", "wrmf-sgd", "itemae", "multvae", "cml", "itemcf", "mf", "rwr", "poprec" })
            Assert.Contains(kind, output);
        Assert.Contains("restartProbability", output);
    }

    [Fact]
    public async Task Unknown_option_is_one_line_and_exit_2()
    {
        var (code, _, err) = await Run("exercise", "--bogus");
        Assert.Equal(RangeCli.BadInput, code);
        AssertOneLine(err, "range: Unrecognized command or argument '--bogus'");
    }

    [Fact]
    public async Task Badly_typed_option_is_explained()
    {
        var (code, _, err) = await Run("exercise", "--k", "ten");
        Assert.Equal(RangeCli.BadInput, code);
        AssertOneLine(err, "range: --k: expected a whole number, got 'ten'");
    }

    [Fact]
    public async Task Invalid_option_value_names_the_option()
    {
        var (code, _, err) = await Run("exercise", "--targets", "0");
        Assert.Equal(RangeCli.BadInput, code);
        AssertOneLine(err, "range: --targets: targets.items must be at least 1 (got 0)");

        var (code2, _, err2) = await Run("exercise", "--attacks", "popular,pop ular");
        Assert.Equal(RangeCli.BadInput, code2);
        AssertOneLine(err2, "range: --attacks: attacks[1] 'pop ular' is not an attack name");

        var (code3, _, err3) = await Run("exercise", "--fake-users", "lots");
        Assert.Equal(RangeCli.BadInput, code3);
        AssertOneLine(err3, "range: --fake-users: expected a percentage");
    }

    [Fact]
    public async Task Bad_scenario_file_is_one_line_with_its_line()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.yaml", "name: x\ntargets:\n  items: 3\n  colour: red\n");
        var (code, _, err) = await Run("exercise", "--scenario", path);
        Assert.Equal(RangeCli.BadInput, code);
        AssertOneLine(err, $"range: {path}:4: targets.colour: unknown field 'colour'");

        var (missingCode, _, missingErr) = await Run("exercise", "-s", dir.Combine("nope.yaml"));
        Assert.Equal(RangeCli.BadInput, missingCode);
        AssertOneLine(missingErr, "range: scenario file not found");
    }

    [Fact]
    public async Task Scenario_command_prints_the_resolved_scenario()
    {
        using var dir = new TempDirectory();
        var path = dir.File("s.yaml", "name: mine\nk: 20\ntargets:\n  itemIds: [12, 15]\n");
        var (code, output, err) = await Run("scenario", "-s", path, "--k", "40", "--attacks", "none", "popular");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Contains("name: mine", output);
        Assert.Contains("k: 40", output);
        Assert.Contains("- popular", output);

        // What it prints is itself a valid scenario file.
        var again = dir.File("again.yaml", output);
        var (code2, output2, _) = await Run("scenario", "-s", again);
        Assert.Equal(0, code2);
        Assert.Equal(output, output2);

        var (jsonCode, json, _) = await Run("scenario", "--json", "--seeds", "3,4");
        Assert.Equal(0, jsonCode);
        Assert.Contains("\"seeds\": [\n    3,\n    4\n  ]", json.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Unreachable_platform_is_one_line_and_exit_1_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        var url = $"http://127.0.0.1:{ClosedPort()}";
        var output = dir.Combine("out");
        var (code, _, err) = await Run("exercise", "--platform", url, "--referee", url, "--agent", url, "--injector", url,
            "--operator-token", "t", "--output", output, "--progress", "none", "--timeout", "10");
        Assert.Equal(RangeCli.Failed, code);
        AssertOneLine(err, $"range: cannot reach the agent at {url}/");
        Assert.False(Directory.Exists(output));

        var (code2, _, err2) = await Run("exercise", "--attacks", "none", "--platform", url, "--referee", url,
            "--operator-token", "t", "--output", output, "--progress", "none", "--timeout", "10");
        Assert.Equal(RangeCli.Failed, code2);
        AssertOneLine(err2, $"range: cannot reach the referee at {url}/");
    }

    [Fact]
    public async Task Remote_mode_needs_the_operator_token()
    {
        if (Environment.GetEnvironmentVariable("POISONRANGE_OPERATOR_TOKEN") is not null) return;
        using var dir = new TempDirectory();
        var url = $"http://127.0.0.1:{ClosedPort()}";
        var (code, _, err) = await Run("exercise", "--attacks", "none", "--platform", url, "--referee", url, "--output", dir.Combine("o"), "--progress", "none");
        Assert.Equal(RangeCli.Failed, code);
        AssertOneLine(err, "range: running against a platform needs its operator token");
    }

    [Fact]
    public async Task Inject_reports_missing_and_malformed_profile_files()
    {
        using var dir = new TempDirectory();
        var (code, _, err) = await Run("inject", dir.Combine("none.jsonl"));
        Assert.Equal(RangeCli.BadInput, code);
        AssertOneLine(err, "range: profiles file not found");

        var bad = dir.File("bad.jsonl", "{\"format\":\"poisonrange.fake-profiles\",\"version\":1,\"profiles\":1}\n{\"profile_id\":\"p1\",\"interactions\":[{\"item_id\":\"i1\"}]}\n");
        var (code2, _, err2) = await Run("inject", bad);
        Assert.Equal(RangeCli.BadInput, code2);
        AssertOneLine(err2, $"range: bad profiles file {bad}:2:");
    }

    [Fact]
    public async Task Help_exits_zero()
    {
        var (code, output, _) = await Run("exercise", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--platform", output);
        Assert.Contains("--repeats", output);
    }
}
