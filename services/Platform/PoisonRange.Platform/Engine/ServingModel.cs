using System.Collections.Concurrent;
using PoisonRange.Recommenders;

namespace PoisonRange.Platform.Engine;

/// <summary>
/// The model that answers recommendations, with what it was trained on. Replaced as a whole
/// when a retrain finishes, so a request sees one consistent model.
/// </summary>
public sealed class ServingModel
{
    public ServingModel(IRecommender model, string version, int sequence, IReadOnlyDictionary<string, int> accountUsers,
        long interactionCount, DateTimeOffset trainedAt, double trainSeconds)
    {
        Model = model;
        Version = version;
        Sequence = sequence;
        AccountUsers = accountUsers;
        InteractionCount = interactionCount;
        TrainedAt = trainedAt;
        TrainSeconds = trainSeconds;
    }

    public IRecommender Model { get; }
    public string Version { get; }
    public int Sequence { get; }

    /// <summary>Registered accounts the model was trained with, and their user index in it.</summary>
    public IReadOnlyDictionary<string, int> AccountUsers { get; }

    /// <summary>
    /// Fold-in scores of accounts the model did not train on, keyed by account and valid for the
    /// history length they were computed from. It lives and dies with this model, so a retrain
    /// never serves stale scores.
    /// </summary>
    internal ConcurrentDictionary<string, FoldInScores> FoldIns { get; } = new(StringComparer.Ordinal);

    internal const int MaxCachedFoldIns = 50_000;

    /// <summary>The store's interaction counter when the training data was read.</summary>
    public long InteractionCount { get; }
    public DateTimeOffset TrainedAt { get; }
    public double TrainSeconds { get; }
}

/// <summary>An account's fold-in scores for its first <see cref="HistoryLength"/> interactions.</summary>
internal sealed record FoldInScores(int HistoryLength, float[] Scores);
