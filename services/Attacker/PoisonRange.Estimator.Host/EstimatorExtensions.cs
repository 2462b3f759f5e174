using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PoisonRange.Estimator;

/// <summary>Wiring of the estimator service into any host (its own Program, or the range's embedded mode).</summary>
public static class EstimatorExtensions
{
    /// <summary>Registers gRPC, the <c>Estimator:*</c> options and the shared <see cref="EstimatorState"/>.</summary>
    public static IServiceCollection AddEstimator(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddGrpc(o => o.MaxReceiveMessageSize = 64 * 1024 * 1024);
        services.AddOptions<EstimatorOptions>().Bind(configuration.GetSection(EstimatorOptions.SectionName));
        services.TryAddSingleton<EstimatorState>();
        return services;
    }

    /// <summary>Maps the Estimator gRPC service.</summary>
    public static GrpcServiceEndpointConventionBuilder MapEstimator(this IEndpointRouteBuilder endpoints)
        => endpoints.MapGrpcService<EstimatorService>();
}
