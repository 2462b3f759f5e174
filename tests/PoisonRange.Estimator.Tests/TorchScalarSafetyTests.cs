using PoisonRange.Testing;

namespace PoisonRange.Estimator.Tests;

public sealed class TorchScalarSafetyTests
{
    [Fact]
    public void The_estimator_hands_libtorch_no_scalar_the_garbage_collector_may_free_during_the_call()
    {
        var violations = TorchScalarAudit.Violations(typeof(InfluenceEstimator).Assembly);
        Assert.True(violations.Count == 0, "Temporary TorchSharp scalars (pass an owned Scalar instead):\n" + string.Join("\n", violations));
    }
}
