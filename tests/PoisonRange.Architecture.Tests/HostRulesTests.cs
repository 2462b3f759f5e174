using static PoisonRange.Architecture.Tests.Repository;

namespace PoisonRange.Architecture.Tests;

/// <summary>
/// Services are services: the simulator and the estimator are libraries with thin hosts of their
/// own, and the agent reaches them through their gRPC clients only. (That no service references a
/// host as a library is <see cref="BoundaryRulesTests.No_service_references_a_host_as_a_library"/>.)
/// </summary>
public sealed class HostRulesTests
{
    [Theory]
    [InlineData("services/Attacker/PoisonRange.Simulator/PoisonRange.Simulator.csproj")]
    [InlineData("services/Attacker/PoisonRange.Estimator/PoisonRange.Estimator.csproj")]
    public void The_simulator_and_estimator_libraries_are_not_hosts(string project)
        => Assert.False(IsHost(Full(project)), $"{project} must be a library (Microsoft.NET.Sdk)");

    [Fact]
    public void The_agent_reaches_the_simulator_and_estimator_only_through_their_clients()
    {
        var offending = Closure(Full("services/Attacker/PoisonRange.Agent/PoisonRange.Agent.csproj"))
            .Where(p => Rel(p).StartsWith("services/Attacker/PoisonRange.Simulator", StringComparison.Ordinal)
                     || Rel(p).StartsWith("services/Attacker/PoisonRange.Estimator", StringComparison.Ordinal))
            .ToList();
        Assert.True(offending.Count == 0, $"the agent reaches {string.Join(", ", offending.Select(Rel))}");
    }
}
