using PoisonRange.Data;

namespace PoisonRange.Recommenders;

/// <summary>
/// The contract every model of the zoo implements, used by the platform (victims) and by the
/// attacker (local models, surrogates). After <see cref="Fit"/> or <see cref="Load"/>, the scoring
/// methods are read-only and safe to call from many threads at once.
/// </summary>
public interface IRecommender : IDisposable
{
    /// <summary>The model's kind as named in scenarios ("poprec", "bprmf", ...).</summary>
    string Kind { get; }

    /// <summary>Number of items the model scores (0 before fit or load).</summary>
    int ItemCount { get; }

    /// <summary>Number of users the model knows by internal id (0 before fit or load).</summary>
    int UserCount { get; }

    /// <summary>Trains on <paramref name="train"/>; users and items keep the dataset's internal ids.</summary>
    void Fit(InteractionDataset train, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a score for every item for a user seen in training (higher is better).</summary>
    void ScoreUser(int user, Span<float> scores);

    /// <summary>
    /// Writes a score for every item for an ordered history the model did not train on (fold-in),
    /// as a newly registered account needs before the next retrain.
    /// </summary>
    void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores);

    /// <summary>Writes a checkpoint that <see cref="Load"/> restores to identical scores.</summary>
    void Save(Stream stream);

    void Load(Stream stream);
}

/// <summary>Progress of a training run, reported once per epoch.</summary>
public readonly record struct TrainProgress(int Epoch, int Epochs, double Loss, TimeSpan Elapsed);
