using System.Xml.Linq;
using Xunit;

namespace PoisonRange.Architecture.Tests;

/// <summary>
/// Services are services: a host (Web SDK) project is never referenced as a library by another
/// service, only by the range's embedded composition (which starts hosts on loopback ports) and
/// by tests; the agent reaches the simulator and the estimator through their gRPC clients only.
/// </summary>
public sealed class HostRulesTests
{
    private static readonly string Root = ReferenceRulesTests.Root;

    private static string Rel(string path) => ReferenceRulesTests.Rel(path);

    private static bool IsHost(string project) => XDocument.Load(project).Root?.Attribute("Sdk")?.Value == "Microsoft.NET.Sdk.Web";

    private static IEnumerable<string> References(string project) =>
        XDocument.Load(project).Descendants("ProjectReference")
            .Select(r => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, r.Attribute("Include")!.Value)));

    [Fact]
    public void No_service_references_a_host_project_except_the_embedded_composition()
    {
        var services = Directory.EnumerateFiles(Path.Combine(Root, "services"), "*.csproj", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(services);
        foreach (var project in services.Where(p => Rel(p) != "services/Range/PoisonRange.Range.Embedded/PoisonRange.Range.Embedded.csproj"))
        {
            var hosts = References(project).Where(IsHost).ToList();
            Assert.True(hosts.Count == 0, $"{Rel(project)} references the host project(s) {string.Join(", ", hosts.Select(Rel))}");
        }
    }

    [Theory]
    [InlineData("services/Attacker/PoisonRange.Simulator/PoisonRange.Simulator.csproj")]
    [InlineData("services/Attacker/PoisonRange.Estimator/PoisonRange.Estimator.csproj")]
    public void The_simulator_and_estimator_libraries_are_not_hosts(string project)
        => Assert.False(IsHost(Path.Combine(Root, project)), $"{project} must be a library (Microsoft.NET.Sdk)");

    [Fact]
    public void The_agent_reaches_the_simulator_and_estimator_only_through_their_clients()
    {
        var agent = Path.Combine(Root, "services/Attacker/PoisonRange.Agent/PoisonRange.Agent.csproj");
        var offending = ReferenceRulesTests.Closure(agent)
            .Where(p => Rel(p).StartsWith("services/Attacker/PoisonRange.Simulator", StringComparison.Ordinal)
                     || Rel(p).StartsWith("services/Attacker/PoisonRange.Estimator", StringComparison.Ordinal))
            .ToList();
        Assert.True(offending.Count == 0, $"the agent reaches {string.Join(", ", offending.Select(Rel))}");
    }
}
