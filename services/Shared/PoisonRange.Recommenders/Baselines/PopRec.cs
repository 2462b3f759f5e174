using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;

namespace PoisonRange.Recommenders.Baselines;

/// <summary>
/// Item popularity: every user, known or folded in, gets the items ranked by their number of
/// training interactions. The sanity baseline of the zoo and the "Popular" reference point.
/// </summary>
public sealed class PopRec : IRecommender
{
    public const string KindName = "poprec";
    private const int BodyVersion = 1;

    private sealed record State(int Users, float[] Popularity);

    private volatile State? _state;
    private readonly ulong _seed;

    public PopRec(ulong seed = 0) => _seed = seed;

    internal static RecommenderRegistration Registration { get; } = new(
        KindName,
        "item popularity (number of training interactions)",
        [],
        (hyperParameters, seed, _) =>
        {
            OptionsBinder.Bind(KindName, new NoOptions(), hyperParameters);
            return new PopRec(seed);
        },
        (header, reader, _) =>
        {
            var model = new PopRec(header.Seed);
            model.LoadBody(header, reader);
            return model;
        });

    /// <summary>PopRec has no hyper-parameters; binding against this record rejects every name.</summary>
    private sealed record NoOptions;

    public string Kind => KindName;
    public int ItemCount => _state?.Popularity.Length ?? 0;
    public int UserCount => _state?.Users ?? 0;

    public void Fit(InteractionDataset train, IProgress<TrainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        cancellationToken.ThrowIfCancellationRequested();
        var stopwatch = Stopwatch.StartNew();
        var counts = train.ItemPopularity();
        var popularity = new float[counts.Length];
        for (int i = 0; i < counts.Length; i++) popularity[i] = counts[i];
        _state = new State(train.UserCount, popularity);
        progress?.Report(new TrainProgress(1, 1, 0, stopwatch.Elapsed));
    }

    public void ScoreUser(int user, Span<float> scores)
    {
        var state = RequireState();
        if ((uint)user >= (uint)state.Users)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{state.Users - 1}.");
        Write(state, scores);
    }

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores)
    {
        var state = RequireState();
        foreach (var item in history)
            if ((uint)item >= (uint)state.Popularity.Length)
                throw new ArgumentOutOfRangeException(nameof(history), item, $"History item {item} is outside 0..{state.Popularity.Length - 1}.");
        Write(state, scores);
    }

    private static void Write(State state, Span<float> scores)
    {
        if (scores.Length != state.Popularity.Length)
            throw new ArgumentException($"The score buffer has {scores.Length} entries; the model scores {state.Popularity.Length} items.", nameof(scores));
        state.Popularity.CopyTo(scores);
    }

    private State RequireState() => _state ?? throw new InvalidOperationException("PopRec is not fitted or loaded.");

    public void Save(Stream stream)
    {
        var state = RequireState();
        using var writer = CheckpointFormat.CreateWriter(stream);
        CheckpointFormat.WriteHeader(writer, new CheckpointHeader(KindName, BodyVersion, _seed, new Dictionary<string, string>()));
        writer.Write(state.Users);
        writer.Write(state.Popularity.Length);
        CheckpointFormat.WriteFloats(writer, state.Popularity);
        CheckpointFormat.WriteEnd(writer);
    }

    public void Load(Stream stream)
    {
        using var reader = CheckpointFormat.CreateReader(stream);
        var header = CheckpointFormat.ReadHeader(reader, KindName, BodyVersion);
        LoadBody(header, reader);
    }

    private void LoadBody(CheckpointHeader header, BinaryReader reader)
    {
        if (header.BodyVersion != BodyVersion)
            throw new InvalidDataException($"Unsupported '{KindName}' checkpoint body version {header.BodyVersion}.");
        int users = CheckpointFormat.ReadDimension(reader, "users");
        int items = CheckpointFormat.ReadDimension(reader, "items");
        var popularity = CheckpointFormat.ReadFloats(reader, items);
        CheckpointFormat.ReadEnd(reader);
        _state = new State(users, popularity);
    }

    public void Dispose()
    {
    }
}
