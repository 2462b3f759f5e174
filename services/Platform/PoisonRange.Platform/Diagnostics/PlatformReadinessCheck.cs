using Microsoft.Extensions.Diagnostics.HealthChecks;
using PoisonRange.Platform.Engine;

namespace PoisonRange.Platform.Diagnostics;

/// <summary>
/// Readiness of the platform: Healthy while a model serves, Unhealthy before the first scenario
/// and while a Configure replaces the scenario (no recommendation can be answered then).
/// </summary>
public sealed class PlatformReadinessCheck(PlatformEngine engine) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var version = engine.ServingVersion;
        return Task.FromResult(version is null
            ? HealthCheckResult.Unhealthy("no model serves")
            : HealthCheckResult.Healthy($"model {version} serves"));
    }
}
