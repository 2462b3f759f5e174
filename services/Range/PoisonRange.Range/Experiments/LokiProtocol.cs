namespace PoisonRange.Range.Experiments;

/// <summary>
/// The constants of LOKI's leave-one-out protocol (§4.2) that the exercise and the experiment
/// share: the strategy's name, the parameter that names the simulator's local models, LOKI's four
/// kinds, and which of them the simulator uses for a given victim.
/// </summary>
public static class LokiProtocol
{
    /// <summary>The agent's strategy name of the LOKI pipeline.</summary>
    public const string StrategyName = "loki";

    /// <summary>The Generate parameter that lists the simulator's local models.</summary>
    public const string LocalModelsParameter = "loki_local_models";

    /// <summary>LOKI's four kinds (bprmf, fpmc, gru4rec, transrec).</summary>
    public static IReadOnlyList<string> Kinds => PoisonRange.Simulator.SimulatorOptions.LokiKinds;

    /// <summary>
    /// The simulator's local models in LOKI's leave-one-out protocol: the four LOKI kinds without
    /// the victim's (the exercise designer knows the victim; the attacker code never learns it
    /// from the platform). A victim outside the four leaves all four.
    /// </summary>
    public static IReadOnlyList<string> LeaveOneOutModels(string victimKind) =>
        Kinds.Where(k => !string.Equals(k, victimKind?.Trim(), StringComparison.OrdinalIgnoreCase)).ToArray();
}
