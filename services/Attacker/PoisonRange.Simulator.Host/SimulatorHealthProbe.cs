using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace PoisonRange.Simulator;

/// <summary>A one-shot client of the standard gRPC health service, for container health checks.</summary>
public static class SimulatorHealthProbe
{
    public static async Task<int> RunAsync(string address, TextWriter? output = null)
    {
        output ??= Console.Error;
        if (!Uri.TryCreate(address, UriKind.Absolute, out _))
        {
            await output.WriteLineAsync($"health: '{address}' is not an absolute URI.");
            return 2;
        }
        try
        {
            using var channel = GrpcChannel.ForAddress(address);
            var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
            if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving) return 0;
            await output.WriteLineAsync($"health: {address} answers {reply.Status}.");
            return 1;
        }
        catch (RpcException ex)
        {
            await output.WriteLineAsync($"health: {address}: {ex.StatusCode} {ex.Status.Detail}");
            return 1;
        }
    }
}
