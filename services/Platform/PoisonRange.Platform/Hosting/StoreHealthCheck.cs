using Microsoft.Extensions.Diagnostics.HealthChecks;
using PoisonRange.Platform.Engine;

namespace PoisonRange.Platform;

/// <summary>
/// Readiness of both ports: the engine has loaded its state and the store answers (a platform
/// whose Redis is gone is not serving). The Platform API also needs a serving model
/// (<see cref="Diagnostics.PlatformReadinessCheck"/>).
/// </summary>
internal sealed class StoreHealthCheck(PlatformEngine engine) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            var probe = await engine.ProbeStoreAsync(timeout.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"{probe.Kind} store answers ({probe.Interactions} interactions)");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{engine.StoreKind} store does not answer: {e.Message}");
        }
    }
}
