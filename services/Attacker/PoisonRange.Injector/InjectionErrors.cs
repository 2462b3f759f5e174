namespace PoisonRange.Injector;

/// <summary>A request the injector cannot run as given (bad job id, duplicate profile ids, ...).</summary>
public sealed class InjectionRequestException(string message) : ArgumentException(message);

/// <summary>The job id is stored with other profiles, or the job is already running in this process.</summary>
public sealed class InjectionConflictException(string message) : InvalidOperationException(message);

/// <summary>A resume request (no profiles) for a job id the store does not have.</summary>
public sealed class InjectionJobNotFoundException(string jobId)
    : KeyNotFoundException($"Injection job '{jobId}' is not stored; send its profiles to start it.")
{
    public string JobId { get; } = jobId;
}
