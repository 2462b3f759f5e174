namespace PoisonRange.Recommenders.Checkpoints;

/// <summary>
/// The self-describing start of every checkpoint: which model kind wrote it, the version of that
/// kind's body layout, the seed, and the hyper-parameters it was built with (invariant-culture
/// strings, the same names the factory accepts).
/// </summary>
public sealed record CheckpointHeader(
    string Kind,
    int BodyVersion,
    ulong Seed,
    IReadOnlyDictionary<string, string> HyperParameters);
