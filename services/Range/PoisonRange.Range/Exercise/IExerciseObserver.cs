namespace PoisonRange.Range.Exercise;

/// <summary>What an exercise reports while it runs (progress bars, log lines, or nothing).</summary>
public interface IExerciseObserver
{
    /// <summary>A phase begins; <paramref name="scope"/> names the seed and attack ("seed 1 · popular").</summary>
    void PhaseStarted(string scope, string phase);

    /// <summary>Progress inside a phase, as the services stream it; <paramref name="total"/> may be 0 when unknown.</summary>
    void PhaseProgress(string scope, string phase, long done, long total, string? message);

    void PhaseFinished(string scope, string phase, double seconds);

    void Warning(string message);
}

public sealed class NullExerciseObserver : IExerciseObserver
{
    public static readonly NullExerciseObserver Instance = new();
    public void PhaseStarted(string scope, string phase) { }
    public void PhaseProgress(string scope, string phase, long done, long total, string? message) { }
    public void PhaseFinished(string scope, string phase, double seconds) { }
    public void Warning(string message) { }
}
