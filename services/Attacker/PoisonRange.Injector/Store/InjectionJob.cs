using System.Security.Cryptography;
using Google.Protobuf;
using PoisonRange.Contracts.Attacker.V1;

namespace PoisonRange.Injector.Store;

/// <summary>
/// A stored injection job: its profiles and batch size, fixed at creation. The batches of a
/// profile, and so every idempotency key, follow from this definition alone.
/// </summary>
public sealed class InjectionJob
{
    public InjectionJob(string jobId, IReadOnlyList<FakeProfile> profiles, int batchSize, DateTimeOffset createdUtc)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        JobId = jobId;
        Profiles = profiles;
        BatchSize = batchSize;
        CreatedUtc = createdUtc;
        Fingerprint = ComputeFingerprint(profiles, batchSize);
    }

    public string JobId { get; }
    public IReadOnlyList<FakeProfile> Profiles { get; }
    public int BatchSize { get; }
    public DateTimeOffset CreatedUtc { get; }

    /// <summary>SHA-256 of the profiles and batch size: a second Inject with the same job id must match it.</summary>
    public string Fingerprint { get; }

    public int BatchCount(FakeProfile profile) => (profile.Interactions.Count + BatchSize - 1) / BatchSize;

    public long TotalInteractions => Profiles.Sum(p => (long)p.Interactions.Count);

    /// <summary>Interactions in the first <paramref name="batchesDone"/> batches of a profile.</summary>
    public int InteractionsIn(FakeProfile profile, int batchesDone)
        => Math.Min(profile.Interactions.Count, Math.Max(0, batchesDone) * BatchSize);

    /// <summary>The request that defines this job (stored as bytes by persistent stores).</summary>
    public InjectRequest ToRequest()
    {
        var request = new InjectRequest { JobId = JobId, BatchSize = BatchSize };
        request.Profiles.AddRange(Profiles);
        return request;
    }

    public static InjectionJob FromRequest(InjectRequest request, DateTimeOffset createdUtc)
        => new(request.JobId, request.Profiles.ToList(), request.BatchSize, createdUtc);

    private static string ComputeFingerprint(IReadOnlyList<FakeProfile> profiles, int batchSize)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> size = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(size, batchSize);
        hash.AppendData(size);
        foreach (var p in profiles)
        {
            var bytes = p.ToByteArray();
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(size, bytes.Length);
            hash.AppendData(size);
            hash.AppendData(bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>Where one profile of a job stands: its account (once registered) and the batches recorded.</summary>
public readonly record struct ProfileProgress(string? AccountId, int BatchesDone);

/// <summary>Totals over every run of a job, and how the last run ended.</summary>
public sealed record InjectionRunStats
{
    public int Runs { get; init; }
    public long PlatformCalls { get; init; }
    public long Retries { get; init; }
    public long ReplayedBatches { get; init; }
    public double Seconds { get; init; }
    public string State { get; init; } = InjectionStates.Pending;
    public string Error { get; init; } = "";
    public DateTimeOffset UpdatedUtc { get; init; }
}

public static class InjectionStates
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Interrupted = "interrupted";
}
