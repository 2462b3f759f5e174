using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PoisonRange.Platform;

// Standalone platform: configuration from appsettings.json, PR_-prefixed or plain environment
// variables (Platform__OperatorToken) and the command line (--Platform:OperatorToken=...).
var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();

var options = new PlatformHostOptions
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
};

try
{
    await using var platform = await PlatformHost.StartAsync(options);
    Console.WriteLine($"platform: Platform API on {platform.PlatformAddress}, Referee API on {platform.RefereeAddress}, store {options.StoreKind}");
    var done = new TaskCompletionSource();
    using var _ = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; done.TrySetResult(); });
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; done.TrySetResult(); };
    await done.Task;
    return 0;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"platform: {ex.Message}");
    return 2;
}
catch (Exception ex) when (ex is StackExchange.Redis.RedisConnectionException or IOException)
{
    Console.Error.WriteLine($"platform: {ex.Message}");
    return 1;
}

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
