using System.Collections.Concurrent;

namespace PoisonRange.Injector.Store;

/// <summary>A process-local store: resumes after a failed or cancelled run, not after a process restart.</summary>
public sealed class InMemoryInjectionStore : IInjectionStore
{
    private readonly ConcurrentDictionary<string, JobEntry> _jobs = new(StringComparer.Ordinal);

    public Task<InjectionJob> CreateJobAsync(InjectionJob job, CancellationToken cancellationToken = default)
        => Task.FromResult(_jobs.GetOrAdd(job.JobId, _ => new JobEntry(job)).Job);

    public Task<InjectionJob?> GetJobAsync(string jobId, CancellationToken cancellationToken = default)
        => Task.FromResult(_jobs.TryGetValue(jobId, out var e) ? e.Job : null);

    public Task<IReadOnlyDictionary<string, ProfileProgress>> GetProgressAsync(string jobId, CancellationToken cancellationToken = default)
    {
        if (!_jobs.TryGetValue(jobId, out var e)) return Task.FromResult<IReadOnlyDictionary<string, ProfileProgress>>(new Dictionary<string, ProfileProgress>());
        lock (e)
            return Task.FromResult<IReadOnlyDictionary<string, ProfileProgress>>(new Dictionary<string, ProfileProgress>(e.Progress, StringComparer.Ordinal));
    }

    public Task<string> SetAccountAsync(string jobId, string profileId, string accountId, CancellationToken cancellationToken = default)
    {
        var e = Entry(jobId);
        lock (e)
        {
            e.Progress.TryGetValue(profileId, out var p);
            if (p.AccountId is not null) return Task.FromResult(p.AccountId);
            e.Progress[profileId] = p with { AccountId = accountId };
            return Task.FromResult(accountId);
        }
    }

    public Task SetBatchesDoneAsync(string jobId, string profileId, int batchesDone, CancellationToken cancellationToken = default)
    {
        var e = Entry(jobId);
        lock (e)
        {
            e.Progress.TryGetValue(profileId, out var p);
            if (batchesDone > p.BatchesDone) e.Progress[profileId] = p with { BatchesDone = batchesDone };
        }
        return Task.CompletedTask;
    }

    public Task<InjectionRunStats?> GetStatsAsync(string jobId, CancellationToken cancellationToken = default)
        => Task.FromResult(_jobs.TryGetValue(jobId, out var e) ? e.Stats : null);

    public Task SaveStatsAsync(string jobId, InjectionRunStats stats, CancellationToken cancellationToken = default)
    {
        Entry(jobId).Stats = stats;
        return Task.CompletedTask;
    }

    private JobEntry Entry(string jobId)
        => _jobs.TryGetValue(jobId, out var e) ? e : throw new KeyNotFoundException($"Injection job '{jobId}' is not stored.");

    private sealed class JobEntry(InjectionJob job)
    {
        public InjectionJob Job { get; } = job;
        public Dictionary<string, ProfileProgress> Progress { get; } = new(StringComparer.Ordinal);
        public volatile InjectionRunStats? Stats;
    }
}
