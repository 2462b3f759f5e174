using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace PoisonRange.Platform;

/// <summary>How to start a platform: its two addresses, the operator token and the store.</summary>
public sealed class PlatformHostOptions
{
    /// <summary>The attacker-facing Platform API (h2c). Port 0 picks a free port.</summary>
    public string PlatformUrl { get; set; } = "http://127.0.0.1:0";

    /// <summary>The operator's Referee API (h2c), on its own port.</summary>
    public string RefereeUrl { get; set; } = "http://127.0.0.1:0";

    public string OperatorToken { get; set; } = "";
    public string? DataDirectory { get; set; }

    /// <summary>"memory" (default) or "redis".</summary>
    public string StoreKind { get; set; } = "memory";

    /// <summary>Redis connection string when <see cref="StoreKind"/> is "redis".</summary>
    public string? Redis { get; set; }

    /// <summary>Prefix of every Redis key, so platforms can share a Redis.</summary>
    public string RedisKeyPrefix { get; set; } = "poisonrange:platform:";

    public int TrainThreads { get; set; }
    public int SchedulerPollMs { get; set; } = 100;
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Warning;

    /// <summary>
    /// Settings both web applications read on top of their defaults (logging formatter,
    /// OpenTelemetry): the standalone platform passes its whole configuration.
    /// </summary>
    public IConfiguration? Configuration { get; set; }

    /// <summary>
    /// The standalone platform's options: <c>Platform:Url</c>, <c>Referee:Url</c>,
    /// <c>Platform:OperatorToken</c>, <c>Platform:DataDirectory</c>, <c>Platform:TrainThreads</c>,
    /// <c>Store:Kind</c>, <c>Store:Redis</c>, <c>Store:KeyPrefix</c>, <c>Logging:LogLevel:Default</c>.
    /// </summary>
    public static PlatformHostOptions FromConfiguration(IConfiguration configuration) => new()
    {
        PlatformUrl = configuration["Platform:Url"] ?? "http://0.0.0.0:5000",
        RefereeUrl = configuration["Referee:Url"] ?? "http://0.0.0.0:5001",
        OperatorToken = configuration["Platform:OperatorToken"] ?? "",
        DataDirectory = configuration["Platform:DataDirectory"],
        StoreKind = configuration["Store:Kind"] ?? "memory",
        Redis = configuration["Store:Redis"],
        RedisKeyPrefix = configuration["Store:KeyPrefix"] ?? "poisonrange:platform:",
        TrainThreads = int.TryParse(configuration["Platform:TrainThreads"], out var threads) ? threads : 0,
        MinimumLogLevel = Enum.TryParse<LogLevel>(configuration["Logging:LogLevel:Default"], out var level) ? level : LogLevel.Information,
        Configuration = configuration,
    };
}
