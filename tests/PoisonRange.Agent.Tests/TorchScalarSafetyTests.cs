using PoisonRange.Agent.Loki;
using PoisonRange.Testing;
using Xunit;

namespace PoisonRange.Agent.Tests;

public sealed class TorchScalarSafetyTests
{
    [Fact]
    public void The_loki_agent_hands_libtorch_no_scalar_the_garbage_collector_may_free_during_the_call()
    {
        var violations = TorchScalarAudit.Violations(typeof(LokiTrainer).Assembly);
        Assert.True(violations.Count == 0, "Temporary TorchSharp scalars (pass an owned Scalar instead):\n" + string.Join("\n", violations));
    }
}
