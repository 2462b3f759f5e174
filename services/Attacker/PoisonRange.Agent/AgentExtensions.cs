using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PoisonRange.Client;

namespace PoisonRange.Agent;

/// <summary>Wiring of the agent into any host (its own Program, or the range's embedded mode).</summary>
public static class AgentExtensions
{
    /// <summary>
    /// Registers gRPC, the platform client (<c>Platform:*</c>), the agent options (<c>Agent:*</c>),
    /// the baseline strategies plus every <see cref="IAttackStrategy"/> registered in DI, the
    /// cached <see cref="AttackerViewProvider"/> and the <see cref="AgentRunner"/>.
    /// </summary>
    public static IServiceCollection AddAgent(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddGrpc();
        services.AddPlatformClient(configuration);
        services.AddOptions<AgentOptions>().Bind(configuration.GetSection(AgentOptions.SectionName));
        services.TryAddSingleton(sp =>
        {
            var registry = StrategyRegistry.CreateDefault();
            foreach (var extra in sp.GetServices<IAttackStrategy>()) registry.Add(extra);
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
