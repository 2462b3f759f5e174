using PoisonRange.Testing;

namespace PoisonRange.Recommenders.Tests;

public sealed class TorchScalarSafetyTests
{
    [Fact]
    public void No_model_hands_libtorch_a_scalar_the_garbage_collector_may_free_during_the_call()
    {
        var violations = TorchScalarAudit.Violations(typeof(IRecommender).Assembly);
        Assert.True(violations.Count == 0, "Temporary TorchSharp scalars (pass an owned Scalar instead):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_audit_sees_implicit_scalars_and_torchsharp_optimizers()
    {
        var violations = TorchScalarAudit.Violations(typeof(TorchScalarSafetyTests).Assembly);
        Assert.Contains(violations, v => v.Contains(nameof(Offender.ImplicitAlpha), StringComparison.Ordinal) && v.Contains("op_Addition", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains(nameof(Offender.ScaledByNumber), StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains(nameof(Offender.LibraryAdam), StringComparison.Ordinal));
        Assert.DoesNotContain(violations, v => v.Contains(nameof(Offender.OwnedScalars), StringComparison.Ordinal));
    }

    /// <summary>Never called: the audit reads its IL.</summary>
    private static class Offender
    {
        public static TorchSharp.torch.Tensor ImplicitAlpha(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) => a + b;

        public static TorchSharp.torch.Tensor ScaledByNumber(TorchSharp.torch.Tensor a) => a.mul(0.5);

        public static void LibraryAdam(TorchSharp.torch.nn.Module module) =>
            TorchSharp.torch.optim.Adam(module.parameters(), 0.01).step();

        public static TorchSharp.torch.Tensor OwnedScalars(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b, TorchSharp.Scalar one, TorchSharp.Scalar half) =>
            a.add(b, one).mul(half);
    }
}
