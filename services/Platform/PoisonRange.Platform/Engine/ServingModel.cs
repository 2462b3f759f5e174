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

    /// <summary>The store's interaction counter when the training data was read.</summary>
    public long InteractionCount { get; }
    public DateTimeOffset TrainedAt { get; }
    public double TrainSeconds { get; }
}
