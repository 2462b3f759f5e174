using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// What the ridge-factor models (WRMF by ALS, WRMF by Adam, explicit-rating MF) share once trained:
/// user and item vectors served from plain arrays by <see cref="RidgeFactorServing"/>, a ridge
/// fold-in of unseen histories, and one checkpoint body (<see cref="ClassicalCheckpoint.WriteRidgeFactors"/>).
/// A derived model trains and sets <see cref="Model"/>; a fit that fails or is cancelled leaves the
/// previous model serving.
/// </summary>
public abstract class RidgeFactorRecommender : IRecommender
{
    private readonly int _bodyVersion;
    private volatile RidgeFactorServing? _model;

    private protected RidgeFactorRecommender(string kind, int bodyVersion)
    {
        Kind = kind;
        _bodyVersion = bodyVersion;
    }

    public string Kind { get; }
    public int ItemCount => _model?.Items ?? 0;
    public int UserCount => _model?.Users ?? 0;

    /// <summary>The latent dimension of the trained or loaded model (0 before).</summary>
    public int Factors => _model?.Factors ?? 0;

    /// <summary>The serving model, null before a fit or load.</summary>
    private protected RidgeFactorServing? Model
    {
        get => _model;
        set => _model = value;
    }

    /// <summary>A copy of user <paramref name="user"/>'s vector.</summary>
    public float[] GetUserVector(int user)
    {
        var model = RequireModel();
        if ((uint)user >= (uint)model.Users)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{model.Users - 1}.");
        return model.UserFactors.AsSpan(user * model.Factors, model.Factors).ToArray();
    }

    /// <summary>A copy of the item vectors (items × d, row-major).</summary>
    public float[] GetItemFactors() => (float[])RequireModel().ItemFactors.Clone();

    /// <summary>Writes the folded-in vector of an unseen history; false (and zeros) when the history is empty.</summary>
    public bool FoldIn(ReadOnlySpan<int> history, Span<float> userVector) => RequireModel().FoldIn(history, userVector);

    public abstract void Fit(InteractionDataset train, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default);

    public void ScoreUser(int user, Span<float> scores) => RequireModel().ScoreUser(user, scores);

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores) => RequireModel().ScoreHistory(history, scores);

    private protected RidgeFactorServing RequireModel() => _model ?? throw new InvalidOperationException($"{GetType().Name} is not fitted or loaded.");

    /// <summary>Writes the checkpoint header: kind, body version, seed and hyper-parameters of the model's options.</summary>
    private protected abstract void WriteHeader(BinaryWriter writer, int bodyVersion);

    /// <summary>Header, then the ridge-factor body (see <see cref="ClassicalCheckpoint.WriteRidgeFactors"/>).</summary>
    public void Save(Stream stream)
    {
        var model = RequireModel();
        using var writer = CheckpointFormat.CreateWriter(stream);
        WriteHeader(writer, _bodyVersion);
        ClassicalCheckpoint.WriteRidgeFactors(writer, model);
        CheckpointFormat.WriteEnd(writer);
    }

    /// <summary>Restores the vectors and fold-in rule of a checkpoint; the model keeps its own options for later fits.</summary>
    public void Load(Stream stream)
    {
        using var reader = CheckpointFormat.CreateReader(stream);
        CheckpointFormat.ReadHeader(reader, Kind, _bodyVersion);
        LoadBody(reader);
    }

    /// <summary>Reads the ridge-factor body that follows the header, and the end marker.</summary>
    private protected void LoadBody(BinaryReader reader)
    {
        var model = ClassicalCheckpoint.ReadRidgeFactors(reader);
        CheckpointFormat.ReadEnd(reader);
        _model = model;
    }

    /// <summary>Nothing native is held; the serving arrays are managed.</summary>
    public void Dispose() => _model = null;
}
