namespace PoisonRange.Injector.Store;

/// <summary>
/// The injector's own progress store (never the platform's). Writes are monotonic: an account
/// once set is kept, and a profile's batch count only grows, so a replayed write after a crash
/// is harmless.
/// </summary>
public interface IInjectionStore
{
    /// <summary>Stores the job if no job has its id; returns the stored job either way.</summary>
    Task<InjectionJob> CreateJobAsync(InjectionJob job, CancellationToken cancellationToken = default);

    Task<InjectionJob?> GetJobAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Progress of every profile that has any, keyed by profile id.</summary>
    Task<IReadOnlyDictionary<string, ProfileProgress>> GetProgressAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Records the account of a profile; the first account stored wins and is returned.</summary>
    Task<string> SetAccountAsync(string jobId, string profileId, string accountId, CancellationToken cancellationToken = default);

    /// <summary>Raises a profile's count of recorded batches to <paramref name="batchesDone"/> (never lowers it).</summary>
    Task SetBatchesDoneAsync(string jobId, string profileId, int batchesDone, CancellationToken cancellationToken = default);

    Task<InjectionRunStats?> GetStatsAsync(string jobId, CancellationToken cancellationToken = default);

    Task SaveStatsAsync(string jobId, InjectionRunStats stats, CancellationToken cancellationToken = default);
}
