namespace PoisonRange.Estimator;

/// <summary>Service settings, bound from the <c>Estimator</c> configuration section.</summary>
public sealed class EstimatorOptions
{
    public const string SectionName = "Estimator";

    /// <summary>Defaults for the LiSSA settings a BuildCache request leaves unset.</summary>
    public LissaOptions Lissa { get; set; } = new();

    /// <summary>Upper bound on the checkpoint bytes of one model (a guard against mistaken uploads).</summary>
    public long MaxCheckpointBytes { get; set; } = 1L << 30;

    /// <summary>Upper bound on profiles per ScoreProfiles call.</summary>
    public int MaxProfilesPerCall { get; set; } = 100_000;

    /// <summary>Upper bound on target pairs per BuildCache call.</summary>
    public int MaxTargets { get; set; } = 10_000;
}
