using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PoisonRange.Client;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Injector.Store;
using ProgressUpdate = PoisonRange.Contracts.Common.V1.Progress;

namespace PoisonRange.Injector;

/// <summary>What to inject: a job id, its profiles, and how to batch them.</summary>
/// <param name="JobId">Stable id of the job; running it again resumes it.</param>
/// <param name="Profiles">The profiles; empty to resume a stored job.</param>
/// <param name="BatchSize">Interactions per Record call; 0 for the configured default.</param>
/// <param name="MaxConcurrentProfiles">Profiles in flight at once; 0 for the configured default.</param>
public sealed record InjectionJobSpec(string JobId, IReadOnlyList<FakeProfile> Profiles, int BatchSize = 0, int MaxConcurrentProfiles = 0);

/// <summary>
/// Delivers fake profiles through the platform's public API: per profile, Register (idempotency
/// key from job and profile), then Record in batches (key from job, profile and batch index).
/// Progress goes to the attacker's <see cref="IInjectionStore"/> after each platform answer, so a
/// run that stops anywhere resumes without a second account or a second recording: what the
/// store missed, the platform answers again from the same idempotency key.
/// </summary>
public sealed partial class InjectionRunner
{
    private readonly PlatformClient _platform;
    private readonly IInjectionStore _store;
    private readonly InjectorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);

    public InjectionRunner(PlatformClient platform, IInjectionStore store, InjectorOptions options, TimeProvider? timeProvider = null, ILogger<InjectionRunner>? logger = null)
    {
        _platform = platform ?? throw new ArgumentNullException(nameof(platform));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.MaxConcurrentProfiles < 1) throw new ArgumentException("Injector:MaxConcurrentProfiles must be at least 1.");
        if (options.DefaultBatchSize < 1) throw new ArgumentException("Injector:DefaultBatchSize must be at least 1.");
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public IInjectionStore Store => _store;

    /// <summary>Idempotency key of a profile's registration.</summary>
    public static string RegisterKey(string jobId, string profileId) => Compact($"inj:{jobId}:{profileId}:register");

    /// <summary>Idempotency key of one Record batch of a profile.</summary>
    public static string RecordKey(string jobId, string profileId, int batchIndex) => Compact($"inj:{jobId}:{profileId}:batch:{batchIndex}");

    /// <summary>
    /// Runs (or resumes) a job to its end and returns the stored result. A platform limit that
    /// stops the job, or another platform refusal, ends it with state <c>failed</c> and the reason
    /// in <see cref="InjectResult.Error"/>; its progress is kept, so the job can be resumed.
    /// Cancellation leaves it <c>interrupted</c> and rethrows.
    /// </summary>
    public async Task<InjectResult> RunAsync(InjectionJobSpec spec, IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var job = await ResolveJobAsync(spec, cancellationToken).ConfigureAwait(false);
        if (!_running.TryAdd(job.JobId, 0))
            throw new InjectionConflictException($"Injection job '{job.JobId}' is already running.");
        try
        {
            return await RunJobAsync(job, spec.MaxConcurrentProfiles > 0 ? spec.MaxConcurrentProfiles : _options.MaxConcurrentProfiles, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(job.JobId, out _);
        }
    }

    /// <summary>The stored result of a job (finished, failed, interrupted or running); null when unknown.</summary>
    public async Task<InjectResult?> GetJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        var job = await _store.GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (job is null) return null;
        var stats = await _store.GetStatsAsync(jobId, cancellationToken).ConfigureAwait(false) ?? new InjectionRunStats();
        if (stats.State == InjectionStates.Running && !_running.ContainsKey(jobId))
            stats = stats with { State = InjectionStates.Interrupted }; // the run that wrote it is gone
        var progress = await _store.GetProgressAsync(jobId, cancellationToken).ConfigureAwait(false);
        return BuildResult(job, progress, stats);
    }

    private async Task<InjectionJob> ResolveJobAsync(InjectionJobSpec spec, CancellationToken ct)
    {
        ValidateJobId(spec.JobId);
        if (spec.Profiles is null || spec.Profiles.Count == 0)
            return await _store.GetJobAsync(spec.JobId, ct).ConfigureAwait(false) ?? throw new InjectionJobNotFoundException(spec.JobId);

        var batchSize = spec.BatchSize > 0 ? spec.BatchSize : _options.DefaultBatchSize;
        if (batchSize > 10_000) throw new InjectionRequestException($"batch_size {batchSize} is too large (at most 10000).");
        if (spec.MaxConcurrentProfiles < 0) throw new InjectionRequestException("max_concurrent_profiles must not be negative.");
        if (spec.Profiles.Count > _options.MaxProfilesPerJob)
            throw new InjectionRequestException($"{spec.Profiles.Count} profiles exceed Injector:MaxProfilesPerJob ({_options.MaxProfilesPerJob}).");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in spec.Profiles)
        {
            if (string.IsNullOrEmpty(p.ProfileId)) throw new InjectionRequestException("Every profile needs a profile_id.");
            if (!ids.Add(p.ProfileId)) throw new InjectionRequestException($"profile_id '{p.ProfileId}' appears twice.");
            for (int i = 0; i < p.Interactions.Count; i++)
                if (string.IsNullOrEmpty(p.Interactions[i].ItemId))
                    throw new InjectionRequestException($"Profile '{p.ProfileId}', interaction {i}: item_id is empty.");
        }

        var proposed = new InjectionJob(spec.JobId, spec.Profiles, batchSize, _time.GetUtcNow());
        var stored = await _store.CreateJobAsync(proposed, ct).ConfigureAwait(false);
        if (stored.Fingerprint != proposed.Fingerprint)
            throw new InjectionConflictException(
                $"Injection job '{spec.JobId}' is stored with other profiles or another batch size; use a new job id, or send no profiles to resume it.");
        return stored;
    }

    private async Task<InjectResult> RunJobAsync(InjectionJob job, int concurrency, IProgress<ProgressUpdate>? progress, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        var before = _platform.Counters.Snapshot();
        var prior = await _store.GetStatsAsync(job.JobId, ct).ConfigureAwait(false) ?? new InjectionRunStats();
        await _store.SaveStatsAsync(job.JobId, prior with { State = InjectionStates.Running, Error = "", UpdatedUtc = _time.GetUtcNow() }, ct).ConfigureAwait(false);

        var stored = await _store.GetProgressAsync(job.JobId, ct).ConfigureAwait(false);
        var tracker = new Tracker(job, stored, progress);
        tracker.Report("resume");
        LogRunStarting(_logger, job.JobId, job.Profiles.Count, tracker.ProfilesCompleted);

        string state = InjectionStates.Completed, error = "";
        try
        {
            if (_options.CheckQuotaFirst) await CheckQuotaAsync(job, stored, ct).ConfigureAwait(false);
            var pending = job.Profiles.Where(p => !tracker.IsComplete(p)).ToList();
            await Parallel.ForEachAsync(
                pending,
                new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
                (profile, token) => new ValueTask(DeliverAsync(job, profile, stored.GetValueOrDefault(profile.ProfileId), tracker, token))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await SaveRunAsync(job, prior, before, started, tracker, InjectionStates.Interrupted, "The run was cancelled.").ConfigureAwait(false);
            throw;
        }
        catch (Exception ex) when (DescribeFailure(ex) is { } reason)
        {
            state = InjectionStates.Failed;
            error = reason;
            LogRunFailed(_logger, job.JobId, reason);
        }
        catch (Exception ex)
        {
            await SaveRunAsync(job, prior, before, started, tracker, InjectionStates.Failed, ex.Message).ConfigureAwait(false);
            throw;
        }

        await SaveRunAsync(job, prior, before, started, tracker, state, error).ConfigureAwait(false);
        tracker.Report(state);
        var result = await GetJobAsync(job.JobId, CancellationToken.None).ConfigureAwait(false);
        return result!;
    }

    private async Task DeliverAsync(InjectionJob job, FakeProfile profile, ProfileProgress stored, Tracker tracker, CancellationToken ct)
    {
        var account = stored.AccountId;
        if (account is null)
        {
            var registered = await _platform.RegisterAsync(RegisterKey(job.JobId, profile.ProfileId), ct).ConfigureAwait(false);
            account = await _store.SetAccountAsync(job.JobId, profile.ProfileId, registered, ct).ConfigureAwait(false);
            tracker.AccountRegistered();
        }

        int batches = job.BatchCount(profile);
        for (int b = stored.BatchesDone; b < batches; b++)
        {
            var batch = profile.Interactions.Skip(b * job.BatchSize).Take(job.BatchSize).ToList();
            var reply = await _platform.RecordAsync(account, batch, RecordKey(job.JobId, profile.ProfileId, b), ct).ConfigureAwait(false);
            if (reply.Replayed) tracker.Replayed();
            await _store.SetBatchesDoneAsync(job.JobId, profile.ProfileId, b + 1, ct).ConfigureAwait(false);
            tracker.BatchRecorded(batch.Count);
        }
        tracker.ProfileCompleted();
    }

    /// <summary>Refuses, before any registration, a job the platform's limits cannot take.</summary>
    private async Task CheckQuotaAsync(InjectionJob job, IReadOnlyDictionary<string, ProfileProgress> stored, CancellationToken ct)
    {
        QuotaReply quota;
        try
        {
            quota = await _platform.GetQuotaAsync(ct).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
        {
            return;
        }
        if (quota.MaxActionsPerAccount > 0)
        {
            var tooLong = job.Profiles.FirstOrDefault(p => p.Interactions.Count > quota.MaxActionsPerAccount);
            if (tooLong is not null)
                throw new InjectionRejectedException(
                    $"Profile '{tooLong.ProfileId}' has {tooLong.Interactions.Count} interactions; the platform allows {quota.MaxActionsPerAccount} actions per account.");
        }
        // Only a fresh job: after a crash, accounts the platform made but the store missed are reused, not new.
        if (quota.AccountsLimit > 0 && stored.Count == 0)
        {
            int left = Math.Max(0, quota.AccountsLimit - quota.Accounts);
            if (job.Profiles.Count > left)
                throw new InjectionRejectedException(
                    $"The job needs {job.Profiles.Count} accounts; the key has {left} of {quota.AccountsLimit} left.");
        }
    }

    private static string? DescribeFailure(Exception ex) => ex switch
    {
        PlatformLimitException l => l.Message,
        PlatformUnavailableException u => u.Message,
        InjectionRejectedException r => r.Message,
        RpcException r => $"The platform refused a call ({r.StatusCode}): {r.Status.Detail}",
        Polly.Timeout.TimeoutRejectedException t => $"A platform call timed out: {t.Message}",
        _ => null,
    };

    private async Task SaveRunAsync(InjectionJob job, InjectionRunStats prior, PlatformCallSnapshot before, long started, Tracker tracker, string state, string error)
    {
        var delta = _platform.Counters.Snapshot() - before;
        var stats = prior with
        {
            Runs = prior.Runs + 1,
            PlatformCalls = prior.PlatformCalls + delta.Calls,
            Retries = prior.Retries + delta.Retries,
            ReplayedBatches = prior.ReplayedBatches + tracker.ReplayedBatches,
            Seconds = prior.Seconds + _time.GetElapsedTime(started).TotalSeconds,
            State = state,
            Error = error,
            UpdatedUtc = _time.GetUtcNow(),
        };
        try
        {
            await _store.SaveStatsAsync(job.JobId, stats, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (state != InjectionStates.Completed)
        {
            // The run is already ending badly; its progress is in the store, only these totals are lost.
            LogStatsLost(_logger, job.JobId, ex.Message);
        }
    }

    private static InjectResult BuildResult(InjectionJob job, IReadOnlyDictionary<string, ProfileProgress> progress, InjectionRunStats stats)
    {
        var result = new InjectResult
        {
            JobId = job.JobId,
            ProfilesTotal = job.Profiles.Count,
            Retries = (int)Math.Min(int.MaxValue, stats.Retries),
            Seconds = stats.Seconds,
            PlatformCalls = stats.PlatformCalls,
            State = stats.State,
            Error = stats.Error,
            InteractionsTotal = job.TotalInteractions,
            ReplayedBatches = stats.ReplayedBatches,
        };
        foreach (var p in job.Profiles)
        {
            if (!progress.TryGetValue(p.ProfileId, out var pp) || pp.AccountId is null) continue;
            int recorded = job.InteractionsIn(p, pp.BatchesDone);
            result.AccountsRegistered++;
            result.InteractionsRecorded += recorded;
            if (pp.BatchesDone >= job.BatchCount(p)) result.ProfilesCompleted++;
            result.Accounts.Add(new ProfileAccount { ProfileId = p.ProfileId, AccountId = pp.AccountId, Recorded = recorded });
        }
        return result;
    }

    private static void ValidateJobId(string jobId)
    {
        if (string.IsNullOrWhiteSpace(jobId)) throw new InjectionRequestException("job_id is required.");
        if (jobId.Length > 200) throw new InjectionRequestException("job_id is longer than 200 characters.");
        if (jobId.Any(char.IsControl)) throw new InjectionRequestException("job_id contains control characters.");
    }

    /// <summary>Keeps idempotency keys short: long ones become a hash of themselves.</summary>
    private static string Compact(string key)
        => key.Length <= 128 ? key : "inj:sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    [LoggerMessage(Level = LogLevel.Information, Message = "Injection job {JobId}: {Profiles} profiles, {Completed} already complete")]
    private static partial void LogRunStarting(ILogger logger, string jobId, int profiles, int completed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Injection job {JobId} failed: {Reason}")]
    private static partial void LogRunFailed(ILogger logger, string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Injection job {JobId}: run totals not stored ({Reason})")]
    private static partial void LogStatsLost(ILogger logger, string jobId, string reason);

    /// <summary>Live counts of one run, for progress reports.</summary>
    private sealed class Tracker
    {
        private readonly InjectionJob _job;
        private readonly IReadOnlyDictionary<string, ProfileProgress> _stored;
        private readonly IProgress<ProgressUpdate>? _progress;
        private int _completed;
        private int _accounts;
        private long _recorded;
        private long _replayed;

        public Tracker(InjectionJob job, IReadOnlyDictionary<string, ProfileProgress> stored, IProgress<ProgressUpdate>? progress)
        {
            _job = job;
            _stored = stored;
            _progress = progress;
            foreach (var p in job.Profiles)
            {
                if (!stored.TryGetValue(p.ProfileId, out var pp) || pp.AccountId is null) continue;
                _accounts++;
                _recorded += job.InteractionsIn(p, pp.BatchesDone);
                if (pp.BatchesDone >= job.BatchCount(p)) _completed++;
            }
        }

        public int ProfilesCompleted => Volatile.Read(ref _completed);
        public long ReplayedBatches => Interlocked.Read(ref _replayed);

        public bool IsComplete(FakeProfile p)
            => _stored.TryGetValue(p.ProfileId, out var pp) && pp.AccountId is not null && pp.BatchesDone >= _job.BatchCount(p);

        public void AccountRegistered()
        {
            Interlocked.Increment(ref _accounts);
            Report("register");
        }

        public void BatchRecorded(int interactions)
        {
            Interlocked.Add(ref _recorded, interactions);
            Report("record");
        }

        public void Replayed() => Interlocked.Increment(ref _replayed);

        public void ProfileCompleted() => Interlocked.Increment(ref _completed);

        public void Report(string phase)
        {
            if (_progress is null) return;
            _progress.Report(new ProgressUpdate
            {
                Phase = phase,
                Done = Interlocked.Read(ref _recorded),
                Total = _job.TotalInteractions,
                Message = $"{Volatile.Read(ref _completed)}/{_job.Profiles.Count} profiles complete, {Volatile.Read(ref _accounts)} accounts, {Interlocked.Read(ref _recorded)}/{_job.TotalInteractions} interactions",
            });
        }
    }
}

/// <summary>The platform's limits, read before the job, cannot take it.</summary>
public sealed class InjectionRejectedException(string message) : InvalidOperationException(message);
