using System.Collections.Concurrent;
using PoisonRange.Recommenders.Baselines;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Neural;
using PoisonRange.Recommenders.Sequential;

namespace PoisonRange.Recommenders;

/// <summary>
/// How the factory builds and restores one model kind. Adding a model to the zoo means writing
/// the model and registering one of these (see <see cref="RecommenderFactory.Register"/>).
/// </summary>
/// <param name="Kind">The name scenarios use ("bprmf"); matched ignoring case.</param>
/// <param name="Description">One line for listings and usage messages.</param>
/// <param name="HyperParameterNames">The names <paramref name="Create"/> accepts.</param>
/// <param name="Create">Builds an untrained model from hyper-parameters, a seed and a thread count;
/// throws <see cref="HyperParameterException"/> on unknown or bad hyper-parameters.</param>
/// <param name="Load">Restores a model from a checkpoint whose header has been read already;
/// the reader is positioned at the start of the body.</param>
public sealed record RecommenderRegistration(
    string Kind,
    string Description,
    IReadOnlyList<string> HyperParameterNames,
    Func<IReadOnlyDictionary<string, string>?, ulong, int, IRecommender> Create,
    Func<CheckpointHeader, BinaryReader, int, IRecommender> Load);

/// <summary>Builds recommenders by kind name and restores them from checkpoints.</summary>
public static class RecommenderFactory
{
    private static readonly ConcurrentDictionary<string, RecommenderRegistration> Registry = new(StringComparer.OrdinalIgnoreCase);

    static RecommenderFactory()
    {
        Register(PopRec.Registration);
        Register(BprMf.Registration);
        Register(Fpmc.Registration);
        Register(Gru4Rec.Registration);
        Register(TransRec.Registration);
        Register(NeuMf.Registration);
        Register(ItemAe.Registration);
        Register(MultVae.Registration);
        Register(Cml.Registration);
        Register(Classical.Wrmf.Registration);
        Register(Classical.WrmfSgd.Registration);
        Register(Classical.ItemCf.Registration);
        Register(Classical.RatingMf.Registration);
        Register(Classical.Rwr.Registration);
    }

    /// <summary>The registered kinds, sorted.</summary>
    public static IReadOnlyList<string> Kinds => Registry.Keys.Select(k => k.ToLowerInvariant()).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The registrations, sorted by kind.</summary>
    public static IReadOnlyList<RecommenderRegistration> Registrations => Registry.Values.OrderBy(r => r.Kind, StringComparer.OrdinalIgnoreCase).ToArray();

    /// <summary>Adds a kind; a kind can be registered once.</summary>
    public static void Register(RecommenderRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentException.ThrowIfNullOrWhiteSpace(registration.Kind);
        if (!Registry.TryAdd(registration.Kind, registration))
            throw new InvalidOperationException($"Recommender kind '{registration.Kind}' is registered already.");
    }

    /// <summary>The registration of <paramref name="kind"/>; throws <see cref="UnknownRecommenderKindException"/> when there is none.</summary>
    public static RecommenderRegistration Describe(string kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return Registry.TryGetValue(kind.Trim(), out var registration)
            ? registration
            : throw new UnknownRecommenderKindException(kind, Kinds);
    }

    /// <summary>
    /// Builds an untrained model of <paramref name="kind"/> (case-insensitive).
    /// </summary>
    /// <param name="hyperParameters">Name → invariant-culture value; names as in
    /// <see cref="RecommenderRegistration.HyperParameterNames"/>; null or empty for the defaults.</param>
    /// <param name="seed">Seeds every stochastic part of training.</param>
    /// <param name="threads">Intra-op threads for training (results are reproducible for a fixed seed and thread count).</param>
    /// <exception cref="UnknownRecommenderKindException">The kind is not registered; the message lists the known kinds.</exception>
    /// <exception cref="HyperParameterException">A hyper-parameter name is unknown or its value malformed or out of range.</exception>
    public static IRecommender Create(string kind, IReadOnlyDictionary<string, string>? hyperParameters, ulong seed, int threads = 1)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, $"threads must be at least 1; got {threads}.");
        return Describe(kind).Create(hyperParameters, seed, threads);
    }

    /// <summary>Reads a checkpoint written by any registered kind and returns the restored model.</summary>
    /// <exception cref="InvalidDataException">The stream is not a checkpoint, is truncated, or holds an unknown kind.</exception>
    public static IRecommender Load(Stream stream, int threads = 1)
    {
        using var reader = CheckpointFormat.CreateReader(stream);
        var header = CheckpointFormat.ReadHeader(reader);
        if (!Registry.TryGetValue(header.Kind, out var registration))
            throw new InvalidDataException($"The checkpoint holds a model of unknown kind '{header.Kind}'. Known kinds: {string.Join(", ", Kinds)}.");
        return registration.Load(header, reader, threads);
    }
}
