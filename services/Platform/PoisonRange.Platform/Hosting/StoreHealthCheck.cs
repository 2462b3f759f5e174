using Microsoft.Extensions.Diagnostics.HealthChecks;
using PoisonRange.Platform.Engine;

namespace PoisonRange.Platform;

/// <summary>
/// Readiness of both ports: the engine has loaded its state and the store answers (a platform
/// whose Redis is gone is not serving).
/// </summary>
internal sealed class StoreHealthCheck(PlatformEngine engine) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            var interactions = await engine.Store.GetInteractionCountAsync(timeout.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"{engine.Store.Kind} store answers ({interactions} interactions)");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{engine.Store.Kind} store does not answer: {e.Message}");
        }
    }
}
