using PoisonRange.Platform;

// Standalone platform: the Platform API and the Referee API on two ports, one engine and store
// (Platform:*, Referee:Url, Store:*; see PlatformHostOptions.FromConfiguration).
return await PlatformHost.RunAsync(args, Console.Out, Console.Error);

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
