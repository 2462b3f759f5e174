using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PoisonRange.Client;

public static class PlatformClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="PlatformClient"/> for the process, configured from the
    /// <c>Platform</c> section (Address, AttackerKey, Deadline, RateLimitPerSecond, RetryMaxAttempts,
    /// CircuitBreaker:*, ...). Uses the registered <see cref="TimeProvider"/>, else the system clock.
    /// </summary>
    public static IServiceCollection AddPlatformClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(PlatformClientOptions.SectionName);
        services.AddOptions<PlatformClientOptions>().Bind(section).ValidateOnStart();
        return services.AddPlatformClientCore();
    }

    /// <summary>Registers one <see cref="PlatformClient"/> configured in code.</summary>
    public static IServiceCollection AddPlatformClient(this IServiceCollection services, Action<PlatformClientOptions> configure)
    {
        services.AddOptions<PlatformClientOptions>().Configure(configure).ValidateOnStart();
        return services.AddPlatformClientCore();
    }

    private static IServiceCollection AddPlatformClientCore(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlatformClientOptions>, PlatformClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new PlatformClient(
            sp.GetRequiredService<IOptions<PlatformClientOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<PlatformClient>>()));
        return services;
    }
}

/// <summary>Reports bad <c>Platform:*</c> settings when the host starts, not at the first call.</summary>
internal sealed class PlatformClientOptionsValidator : IValidateOptions<PlatformClientOptions>
{
    public ValidateOptionsResult Validate(string? name, PlatformClientOptions options)
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
