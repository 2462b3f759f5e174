using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using PoisonRange.Recommenders.Factorization;

namespace PoisonRange.Recommenders.Classical;

/// <summary>
/// What the ridge-factor models (WRMF by ALS, WRMF by Adam, explicit-rating MF) share once trained:
/// user and item vectors served from plain arrays by <see cref="RidgeFactorServing"/>, a ridge
/// fold-in of unseen histories, and one checkpoint body (<see cref="WriteRidgeFactors"/>).
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

    /// <summary>Header, then the ridge-factor body (see <see cref="WriteRidgeFactors"/>).</summary>
    public void Save(Stream stream)
    {
        var model = RequireModel();
        using var writer = CheckpointFormat.CreateWriter(stream);
        WriteHeader(writer, _bodyVersion);
        WriteRidgeFactors(writer, model);
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
        var model = CheckpointFormat.ReadBody(() => ReadRidgeFactors(reader));
        CheckpointFormat.ReadEnd(reader);
        _model = model;
    }

    /// <summary>
    /// Body of a ridge factor model (version 1): int32 users, items, factors; float64 fold-in
    /// Gram weight, extra weight, target, λ; user factors (users × d), item factors (items × d),
    /// popularity (items); byte hasItemTargets, [per-item fold-in targets (items)].
    /// </summary>
    private static void WriteRidgeFactors(BinaryWriter writer, RidgeFactorServing model)
    {
        FactorCheckpoint.WriteDimensions(writer, model.Users, model.Items, model.Factors);
        writer.Write(model.FoldInRule.GramWeight);
        writer.Write(model.FoldInRule.ExtraWeight);
        writer.Write(model.FoldInRule.Target);
        writer.Write(model.FoldInRule.Lambda);
        CheckpointFormat.WriteFloats(writer, model.UserFactors);
        CheckpointFormat.WriteFloats(writer, model.ItemFactors);
        CheckpointFormat.WriteFloats(writer, model.Popularity);
        writer.Write(model.ItemTargets is not null);
        if (model.ItemTargets is not null) CheckpointFormat.WriteFloats(writer, model.ItemTargets);
    }

    /// <summary>Reads what <see cref="WriteRidgeFactors"/> wrote.</summary>
    private static RidgeFactorServing ReadRidgeFactors(BinaryReader reader)
    {
        var (users, items, factors) = FactorCheckpoint.ReadDimensions(reader);
        var rule = new RidgeFoldIn(reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
        if (!double.IsFinite(rule.GramWeight) || !double.IsFinite(rule.ExtraWeight) || !double.IsFinite(rule.Target) || !(rule.Lambda >= 0))
            throw new InvalidDataException($"Corrupt checkpoint: fold-in rule {rule}.");
        var userFactors = CheckpointFormat.ReadFloats(reader, users * factors);
        var itemFactors = CheckpointFormat.ReadFloats(reader, items * factors);
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        var itemTargets = reader.ReadBoolean() ? CheckpointFormat.ReadFloats(reader, items) : null;
        return new RidgeFactorServing(users, items, factors, userFactors, itemFactors, popularity, rule, itemTargets);
    }

    /// <summary>Nothing native is held; the serving arrays are managed.</summary>
    public void Dispose() => _model = null;
}
