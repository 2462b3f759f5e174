using System.Text.Json;
using PoisonRange.Range.Cli;
using Xunit;

namespace PoisonRange.Containers.Tests;

/// <summary>
/// A whole exercise by the range CLI against the services in containers, as
/// `range exercise --platform ...` runs against compose. The victim is BPR-MF, trained with
/// TorchSharp inside the platform container: the image's native libtorch must load.
/// </summary>
[Collection(RangeStackCollection.Name)]
public sealed class ExerciseInContainersTests(RangeStack stack)
{
    [DockerFact]
    public async Task An_exercise_against_the_containers_reports_every_attack()
    {
        var output = Path.Combine(Path.GetTempPath(), "poisonrange-containers-" + Guid.NewGuid().ToString("N")[..8]);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        try
        {
            int code = await RangeCli.RunAsync(
            [
                "exercise",
                "--platform", stack.PlatformAddress.ToString(), "--referee", stack.RefereeAddress.ToString(),
                "--agent", stack.AgentAddress.ToString(), "--injector", stack.InjectorAddress.ToString(),
                "--operator-token", RangeStack.OperatorToken, "--attacker-key", RangeStack.AttackerKey,
                "--dataset", "synthetic", "--victim", "bprmf",
                "--set", "dataset.synthetic.users=200", "--set", "dataset.synthetic.items=120",
                "--fake-users", "5", "--targets", "2", "--target-users", "40", "--actions", "10", "--k", "10",
                "--attacks", "none,random,popular", "--seed", "7", "--progress", "none", "--output", output,
            ], stdout, stderr);
            Assert.True(code == 0, $"range exit code {code}: {stderr}\n{await stack.AllLogsAsync()}");

            using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "report.json")));
            var root = report.RootElement;
            Assert.Equal("remote", Property(root, "mode").GetString());
            var run = Property(root, "runs")[0];
            Assert.Contains("bprmf", Property(Property(root, "scenario"), "victim").ToString(), StringComparison.OrdinalIgnoreCase);
            var labels = Property(root, "summary").EnumerateArray().Select(a => Property(a, "label").GetString()).ToList();
            Assert.Equal(["none", "random", "popular"], labels);
            // The baseline model was trained in the container (a BPR-MF model version), and every attack injected its profiles.
            Assert.False(string.IsNullOrEmpty(Property(Property(run, "baseline"), "modelVersion").GetString()));
            foreach (var attack in Property(run, "attacks").EnumerateArray().Where(a => Property(a, "label").GetString() != "none"))
                Assert.Contains("\"actions\"", attack.ToString(), StringComparison.OrdinalIgnoreCase);
            Assert.Contains("display rate", stdout.ToString(), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    private static JsonElement Property(JsonElement element, string name)
    {
        foreach (var p in element.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        throw new KeyNotFoundException($"no '{name}' in {element.ToString()[..Math.Min(200, element.ToString().Length)]}");
    }
}
