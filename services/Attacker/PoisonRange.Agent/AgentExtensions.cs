using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PoisonRange.Agent.Loki;
using PoisonRange.Client;

namespace PoisonRange.Agent;

/// <summary>Wiring of the agent into any host (its own Program, or the range's embedded mode).</summary>
public static class AgentExtensions
{
    /// <summary>
    /// The agent as a service of its own: <see cref="AddAgent"/> plus readiness, which holds only
    /// while the platform answers (<see cref="GrpcDependencyHealthCheck"/>).
    /// </summary>
    public static TBuilder AddAgentService<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddAgent(builder.Configuration);
        builder.AddGrpcDependencyHealthCheck("platform", sp => sp.GetRequiredService<IOptions<PlatformClientOptions>>().Value.Address);
        return builder;
    }

    /// <summary>
    /// Registers gRPC, the platform client (<c>Platform:*</c>), the agent options (<c>Agent:*</c>),
    /// the clients of the simulator and estimator services (<c>Simulator:Address</c>,
    /// <c>Estimator:Address</c>, see <see cref="AttackerServiceOptions"/>), the baseline strategies,
    /// the LOKI pipeline over them (<see cref="LokiPipelineStrategy"/>), plus every <see cref="IAttackStrategy"/> registered in DI, the
    /// cached <see cref="AttackerViewProvider"/> and the <see cref="AgentRunner"/>.
    /// </summary>
    public static IServiceCollection AddAgent(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddGrpc();
        services.AddPlatformClient(configuration);
        services.AddOptions<AgentOptions>().Bind(configuration.GetSection(AgentOptions.SectionName));
        services.TryAddSingleton(_ => LokiServices.FromConfiguration(configuration));
        services.TryAddSingleton(sp =>
        {
            var registry = StrategyRegistry.CreateDefault();
            var extras = sp.GetServices<IAttackStrategy>().ToArray();
            // The full black-box LOKI pipeline, unless the host registered its own "loki".
            if (!extras.Any(s => string.Equals(s.Name, LokiTrainer.StrategyName, StringComparison.OrdinalIgnoreCase)))
                registry.Add(new LokiPipelineStrategy(sp.GetRequiredService<LokiServices>()));
            foreach (var extra in extras) registry.Add(extra);
            return registry;
        });
        services.TryAddSingleton(sp => new AttackerViewProvider(
            sp.GetRequiredService<PlatformClient>(),
            sp.GetRequiredService<IOptions<AgentOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<AttackerViewProvider>>()));
        services.TryAddSingleton(sp => new AgentRunner(
            sp.GetRequiredService<StrategyRegistry>(),
            sp.GetRequiredService<AttackerViewProvider>(),
            sp.GetService<TimeProvider>()));
        return services;
    }

    /// <summary>Adds a strategy to the agent's registry (call before the registry is first used).</summary>
    public static IServiceCollection AddAttackStrategy<TStrategy>(this IServiceCollection services)
        where TStrategy : class, IAttackStrategy
        => services.AddSingleton<IAttackStrategy, TStrategy>();

    /// <summary>Maps the Agent gRPC service.</summary>
    public static GrpcServiceEndpointConventionBuilder MapAgent(this IEndpointRouteBuilder endpoints)
        => endpoints.MapGrpcService<AgentService>();
}
