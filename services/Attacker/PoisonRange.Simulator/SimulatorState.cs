using Proto = PoisonRange.Contracts.Attacker.V1;

namespace PoisonRange.Simulator;

/// <summary>
/// The service's current ensemble. One build at a time; readers (Rank, export, retrain) hold a
/// read lock, so a finished build swaps the ensemble in and disposes the old one only after
/// every reader has let go of it.
/// </summary>
public sealed class SimulatorState : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new();
    private SimulatorEnsemble? _current;
    private Proto.BuildResult? _result;
    private int _building;

    /// <summary>Claims the single build slot; false when a build is running.</summary>
    public bool TryBeginBuild() => Interlocked.CompareExchange(ref _building, 1, 0) == 0;

    public void EndBuild() => Volatile.Write(ref _building, 0);

    public bool IsBuilding => Volatile.Read(ref _building) == 1;

    /// <summary>Makes <paramref name="ensemble"/> current (the state owns it from now on).</summary>
    public void Publish(SimulatorEnsemble ensemble, Proto.BuildResult result)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        SimulatorEnsemble? old;
        _lock.EnterWriteLock();
        try
        {
            old = _current;
            _current = ensemble;
            _result = result;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
        old?.Dispose();
    }

    /// <summary>Runs <paramref name="read"/> on the current ensemble; null when no build has completed.</summary>
    public bool TryRead<T>(Func<SimulatorEnsemble, Proto.BuildResult, T> read, out T value)
    {
        _lock.EnterReadLock();
        try
        {
            if (_current is null || _result is null)
            {
                value = default!;
                return false;
            }
            value = read(_current, _result);
            return true;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void Dispose()
    {
        _lock.EnterWriteLock();
        try
        {
            _current?.Dispose();
            _current = null;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }
}
