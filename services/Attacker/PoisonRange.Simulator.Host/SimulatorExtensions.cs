using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PoisonRange.Client;

namespace PoisonRange.Simulator;

/// <summary>Wiring of the simulator service into any host (its own Program, or the range's embedded mode).</summary>
public static class SimulatorExtensions
{
    /// <summary>
    /// Registers gRPC, the platform client (<c>Platform:*</c>), the
    /// defaults of a Build request (<c>Simulator:*</c>) and the simulator's state.
    /// </summary>
    public static IServiceCollection AddSimulator(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddGrpc();
        services.AddPlatformClient(configuration);
        services.AddOptions<SimulatorOptions>()
            .Bind(configuration.GetSection(SimulatorOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SimulatorOptions>, SimulatorOptionsValidator>());
        services.TryAddSingleton<SimulatorState>();
        return services;
    }

    /// <summary>
    /// The simulator as a host of its own (with the service defaults): <see cref="AddSimulator"/>
    /// plus readiness while the platform it crawls and probes answers.
    /// </summary>
    public static TBuilder AddSimulatorService<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddSimulator(builder.Configuration);
        builder.AddGrpcDependencyHealthCheck("platform", sp => sp.GetRequiredService<IOptions<PlatformClientOptions>>().Value.Address);
        return builder;
    }

    /// <summary>Maps the Simulator gRPC service.</summary>
    public static GrpcServiceEndpointConventionBuilder MapSimulator(this IEndpointRouteBuilder endpoints)
        => endpoints.MapGrpcService<SimulatorService>();
}

/// <summary>Reports bad <c>Simulator:*</c> settings when the host starts, in one line.</summary>
internal sealed class SimulatorOptionsValidator : IValidateOptions<SimulatorOptions>
{
    public ValidateOptionsResult Validate(string? name, SimulatorOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
