namespace PoisonRange.Platform.Engine;

/// <summary>
/// An authenticated caller of the Platform API: its attacker key and the scenario in force when
/// the call arrived, so one call sees one scenario even if the operator reconfigures meanwhile.
/// </summary>
public sealed record CallerContext(string Key, ScenarioRuntime Runtime);
