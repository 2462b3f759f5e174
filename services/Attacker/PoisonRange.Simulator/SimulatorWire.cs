using Google.Protobuf;
using PoisonRange.Data;
using Proto = PoisonRange.Contracts.Attacker.V1;

namespace PoisonRange.Simulator;

/// <summary>What <c>ExportModels</c> delivers, reassembled by <see cref="SimulatorWire.ReadExportAsync"/>.</summary>
public sealed record ExportedSimulator(IReadOnlyList<ModelCheckpoint> Models, InteractionDataset Train, int K, int VoteDepth, ulong Seed);

/// <summary>Conversions between the in-process simulator and its gRPC messages (both directions).</summary>
public static class SimulatorWire
{
    public const int DefaultChunkSize = 1 << 20;
    private const int UsersPerChunk = 2000;

    public static Proto.BuildResult ToResult(SimulatorEnsemble ensemble, double seconds)
    {
        var a = ensemble.Agreement;
        var s = ensemble.Spend;
        var result = new Proto.BuildResult
        {
            EnsembleKendall = a.EnsembleKendall,
            EnsembleOverlap = a.EnsembleOverlap,
            BestSingleKind = a.BestSingleKind ?? "",
            BestSingleKendall = a.BestSingleKendall,
            BestSingleOverlap = a.BestSingleOverlap,
            FitProbes = a.FitProbes,
            HeldOutProbes = a.HeldOutProbes,
            K = a.K,
            Temperature = a.Temperature ?? 0,
            Method = MethodName(a.Method),
            UniformWeights = a.UniformWeights,
            Message = a.Message,
            QueriesRequested = s.QueriesRequested,
            QueriesPlanned = s.QueriesPlanned,
            Queries = s.Queries,
            Actions = s.Actions,
            Accounts = s.Accounts,
            CrawlPages = s.CrawlPages,
            PlatformCalls = s.Calls,
            Retries = s.Retries,
            Degraded = s.Degraded,
            SpendMessage = s.Message,
            TrainUsers = ensemble.Train.UserCount,
            TrainItems = ensemble.Train.ItemCount,
            TrainInteractions = ensemble.Train.InteractionCount,
            Seconds = seconds,
        };
        foreach (var m in a.Models)
            result.Models.Add(new Proto.ModelWeight { Kind = m.Kind, Weight = m.Weight, FitKendall = m.FitKendall, HeldOutKendall = m.HeldOutKendall, HeldOutOverlap = m.HeldOutOverlap });
        return result;
    }

    public static string MethodName(WeightMethod method) => method switch
    {
        WeightMethod.Uniform => "uniform",
        WeightMethod.FixedTemperature => "fixed-temperature",
        _ => "cross-validated-temperature",
    };

    /// <summary>Build options from a request over the service's configured defaults.</summary>
    public static SimulatorOptions ToOptions(Proto.BuildRequest request, SimulatorOptions defaults)
    {
        var o = defaults.Clone();
        if (request.Models.Count > 0)
            o.Models = request.Models.Select(m => new LocalModelSpec(m.Kind, m.HyperParameters.Count > 0 ? new Dictionary<string, string>(m.HyperParameters) : null)).ToList();
        if (request.LeaveOut.Length > 0) o.LeaveOut = request.LeaveOut;
        if (request.HasProbeQueries) o.ProbeQueries = request.ProbeQueries;
        if (request.HasProbeFraction) o.ProbeFraction = request.ProbeFraction;
        if (request.HasHoldoutFraction) o.HoldoutFraction = request.HoldoutFraction;
        if (request.HasMaxQueries) o.MaxQueries = request.MaxQueries;
        if (request.HasMaxActions) o.MaxActions = request.MaxActions;
        if (request.HasMaxAccounts) o.MaxAccounts = request.MaxAccounts;
        if (request.K != 0) o.K = request.K;
        if (request.ProbeHistoryLength != 0) o.ProbeHistoryLength = request.ProbeHistoryLength;
        if (request.HasTemperature) o.Temperature = request.Temperature;
        if (request.Seed != 0) o.Seed = request.Seed;
        if (request.Threads != 0) o.Threads = request.Threads;
        return o;
    }

    /// <summary>Each model's checkpoint in chunks, then the training set (a header, then users in batches).</summary>
    public static IEnumerable<Proto.ExportChunk> ExportChunks(SimulatorSnapshot snapshot, int chunkSize)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (chunkSize <= 0) chunkSize = DefaultChunkSize;
        for (int m = 0; m < snapshot.Models.Count; m++)
            foreach (var chunk in ModelChunks(m, snapshot.Models[m], chunkSize))
                yield return chunk;
        var train = snapshot.Train;
        var header = new Proto.TrainingSetHeader { Name = train.Name, Users = train.UserCount, K = snapshot.K, VoteDepth = snapshot.VoteDepth, Seed = snapshot.Seed };
        header.ItemIds.AddRange(train.ItemIds);
        yield return new Proto.ExportChunk { TrainingSet = header };
        for (int start = 0; start < train.UserCount; start += UsersPerChunk)
        {
            var batch = new Proto.TrainingUsers();
            for (int u = start; u < Math.Min(train.UserCount, start + UsersPerChunk); u++)
            {
                var user = new Proto.TrainingUser { UserId = train.UserIds[u] };
                user.Items.AddRange(train.Sequences[u]);
                if (train.Timestamps is { } ts) user.TimestampsMs.AddRange(ts[u]);
                batch.Users.Add(user);
            }
            yield return new Proto.ExportChunk { TrainingUsers = batch };
        }
    }

    /// <summary>One model's checkpoint in chunks of at most <paramref name="chunkSize"/> bytes.</summary>
    public static IEnumerable<Proto.ExportChunk> ModelChunks(int index, ModelCheckpoint model, int chunkSize)
    {
        if (chunkSize <= 0) chunkSize = DefaultChunkSize;
        var bytes = model.Checkpoint;
        for (int offset = 0; offset == 0 || offset < bytes.Length; offset += chunkSize)
        {
            int n = Math.Min(chunkSize, bytes.Length - offset);
            var chunk = new Proto.ModelChunk
            {
                Index = index,
                Kind = model.Kind,
                Weight = model.Weight,
                TotalBytes = bytes.Length,
                Data = ByteString.CopyFrom(bytes, offset, n),
                Last = offset + n >= bytes.Length,
            };
            if (offset == 0 && model.HyperParameters is { } h) foreach (var (key, value) in h) chunk.HyperParameters[key] = value;
            yield return new Proto.ExportChunk { Model = chunk };
            if (chunk.Last) yield break;
        }
    }

    /// <summary>Reassembles checkpoints (by model index) and the training set from an export stream.</summary>
    /// <exception cref="InvalidDataException">The stream is incomplete or inconsistent.</exception>
    public static async Task<ExportedSimulator> ReadExportAsync(IAsyncEnumerable<Proto.ExportChunk> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var models = new SortedDictionary<int, (string Kind, double Weight, MemoryStream Bytes, long Total, bool Done, Dictionary<string, string>? Hyper)>();
        Proto.TrainingSetHeader? header = null;
        var users = new List<Proto.TrainingUser>();
        await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            switch (chunk.ChunkCase)
            {
                case Proto.ExportChunk.ChunkOneofCase.Model:
                    var c = chunk.Model;
                    if (!models.TryGetValue(c.Index, out var entry))
                        entry = (c.Kind, c.Weight, new MemoryStream(), c.TotalBytes, false, c.HyperParameters.Count > 0 ? new Dictionary<string, string>(c.HyperParameters) : null);
                    if (entry.Done) throw new InvalidDataException($"Model {c.Index} ({c.Kind}) has chunks after its last one.");
                    c.Data.WriteTo(entry.Bytes);
                    entry.Done = c.Last;
                    models[c.Index] = entry;
                    break;
                case Proto.ExportChunk.ChunkOneofCase.TrainingSet:
                    header = chunk.TrainingSet;
                    break;
                case Proto.ExportChunk.ChunkOneofCase.TrainingUsers:
                    users.AddRange(chunk.TrainingUsers.Users);
                    break;
            }
        }
        var checkpoints = new List<ModelCheckpoint>();
        foreach (var (index, e) in models)
        {
            if (!e.Done || e.Bytes.Length != e.Total)
                throw new InvalidDataException($"Model {index} ({e.Kind}) is incomplete: {e.Bytes.Length} of {e.Total} bytes.");
            checkpoints.Add(new ModelCheckpoint(e.Kind, e.Weight, e.Bytes.ToArray(), e.Hyper));
        }
        if (header is null) throw new InvalidDataException("The export has no training set.");
        if (users.Count != header.Users) throw new InvalidDataException($"The export's training set has {users.Count} of {header.Users} users.");
        bool timestamps = users.All(u => u.TimestampsMs.Count == u.Items.Count) && users.Any(u => u.Items.Count > 0);
        var train = new InteractionDataset(header.Name,
            users.Select(u => u.UserId).ToArray(),
            header.ItemIds.ToArray(),
            users.Select(u => u.Items.ToArray()).ToArray(),
            timestamps ? users.Select(u => u.TimestampsMs.ToArray()).ToArray() : null,
            null);
        return new ExportedSimulator(checkpoints, train, header.K, header.VoteDepth, header.Seed);
    }
}
