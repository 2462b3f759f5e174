namespace PoisonRange.Data;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its callback synchronously on the reporting thread,
/// so reports arrive in order and before <see cref="Report"/> returns. <see cref="Progress{T}"/>
/// instead posts each report to the captured synchronisation context or the thread pool, where
/// reports can overtake each other or arrive after the work has finished.
/// </summary>
public sealed class SyncProgress<T> : IProgress<T>
{
    private readonly Action<T> _report;

    public SyncProgress(Action<T> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        _report = report;
    }

    /// <summary>Calls the callback with <paramref name="value"/> before returning.</summary>
    public void Report(T value) => _report(value);
}
