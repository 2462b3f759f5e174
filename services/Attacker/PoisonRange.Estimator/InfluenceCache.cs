using System.Collections.Concurrent;
using System.Security.Cryptography;
using PoisonRange.Data;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Influence;

namespace PoisonRange.Estimator;

/// <summary>The cached solutions of one model: s_test per target pair, flattened over the parameters.</summary>
public sealed record CachedSolutions(string Key, double[][] Solutions, LissaResult Result);

/// <summary>
/// Cached s_test vectors keyed by (model fingerprint, training-set fingerprint, targets, options):
/// a changed checkpoint, training set, target list or setting is a different key, so a stale
/// solution is never served. Thread-safe; shared by estimators in one process.
/// </summary>
public sealed class InfluenceCache
{
    private readonly ConcurrentDictionary<string, CachedSolutions> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public bool TryGet(string key, out CachedSolutions solutions) => _entries.TryGetValue(key, out solutions!);

    public void Put(CachedSolutions solutions) => _entries[solutions.Key] = solutions;

    public void Clear() => _entries.Clear();

    /// <summary>SHA-256 of the model's checkpoint bytes (the model's identity).</summary>
    public static string ModelFingerprint(IRecommender model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var stream = new MemoryStream();
        model.Save(stream);
        return Convert.ToHexString(SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length)));
    }

    /// <summary>SHA-256 of the training sequences (the Hessian depends on them).</summary>
    public static string DatasetFingerprint(InteractionDataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buffer = stackalloc byte[4];
        BitConverter.TryWriteBytes(buffer, train.ItemCount);
        hash.AppendData(buffer);
        foreach (var sequence in train.Sequences)
        {
            BitConverter.TryWriteBytes(buffer, sequence.Length);
            hash.AppendData(buffer);
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(sequence.AsSpan()));
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    public static string Key(string modelFingerprint, string datasetFingerprint, IReadOnlyList<TargetPair> targets, LissaOptions options)
        => $"{modelFingerprint}|{datasetFingerprint}|{string.Join(',', targets.Select(t => $"{t.User}:{t.Item}"))}|{options.CacheText()}";
}
