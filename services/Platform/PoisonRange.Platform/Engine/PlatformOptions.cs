namespace PoisonRange.Platform.Engine;

/// <summary>Settings of a platform process (section "Platform" of the configuration).</summary>
public sealed class PlatformOptions
{
    public const string SectionName = "Platform";

    /// <summary>The bearer token the Referee API requires. Required.</summary>
    public string OperatorToken { get; set; } = "";

    /// <summary>Where dataset names given by scenarios are looked up (e.g. ../shared/data).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Threads for training victims (0: all cores).</summary>
    public int TrainThreads { get; set; }

    /// <summary>How often the retrain scheduler looks at its policy.</summary>
    public int SchedulerPollMs { get; set; } = 100;

    /// <summary>A scenario applied at start-up when the store holds none (JSON of the Referee's Scenario).</summary>
    public string? InitialScenario { get; set; }
}
