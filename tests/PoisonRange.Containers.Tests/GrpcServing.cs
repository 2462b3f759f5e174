using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Grpc.Health.V1;
using PoisonRange.HealthProbe;

namespace PoisonRange.Containers.Tests;

/// <summary>Waits until a container's gRPC port answers SERVING on grpc.health.v1, probed from the host.</summary>
public sealed class GrpcServing(int containerPort) : IWaitUntil
{
    public async Task<bool> UntilAsync(IContainer container)
    {
        var address = new Uri($"http://{container.Hostname}:{container.GetMappedPublicPort(containerPort)}");
        var (status, _) = await Probe.CheckAsync(address, "", TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        return status == HealthCheckResponse.Types.ServingStatus.Serving;
    }
}
