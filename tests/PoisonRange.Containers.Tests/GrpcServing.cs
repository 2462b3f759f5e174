using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Grpc.Health.V1;
using PoisonRange.HealthProbe;

namespace PoisonRange.Containers.Tests;

/// <summary>Waits until a container's gRPC port answers SERVING on grpc.health.v1, probed from the host.</summary>
public sealed class GrpcServing(int containerPort) : IWaitUntil
{
    /// <summary>What the last probe saw, for the failure message when the wait times out.</summary>
    public string LastAnswer { get; private set; } = "not probed yet";

    public async Task<bool> UntilAsync(IContainer container)
    {
        try
        {
            var address = new Uri($"http://{container.Hostname}:{container.GetMappedPublicPort(containerPort)}");
            var (status, detail) = await Probe.CheckAsync(address, "", TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            LastAnswer = $"{address}: {detail}";
            return status == HealthCheckResponse.Types.ServingStatus.Serving;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LastAnswer = $"{e.GetType().Name}: {e.Message}";
            return false;
        }
    }
}
