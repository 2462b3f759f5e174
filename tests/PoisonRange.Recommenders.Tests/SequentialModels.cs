using PoisonRange.Recommenders.Baselines;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Sequential;

namespace PoisonRange.Recommenders.Tests;

/// <summary>PopRec, BPR-MF and the three next-item models trained once on the successor data, shared by a test class.</summary>
public sealed class SequentialModels : IDisposable
{
    internal static FpmcOptions FpmcOptions { get; } = new()
    {
        Factors = 16,
        Epochs = 40,
        BatchSize = 256,
        LearningRate = 0.02,
        L2 = 1e-4,
        Seed = 5,
        Threads = 1,
    };

    internal static TransRecOptions TransRecOptions { get; } = new()
    {
        Factors = 16,
        Epochs = 40,
        BatchSize = 256,
        LearningRate = 0.02,
        L2 = 1e-4,
        Seed = 5,
        Threads = 1,
    };

    internal static Gru4RecOptions Gru4RecOptions { get; } = new()
    {
        EmbeddingSize = 16,
        HiddenSize = 32,
        MaxLength = 20,
        Epochs = 40,
        BatchSize = 16,
        LearningRate = 0.01,
        Dropout = 0.1,
        Seed = 5,
        Threads = 1,
    };

    /// <summary>TransRec with the paper's L2 distance, whose fold-in keeps t_u = 0 (the default is squared L2).</summary>
    internal static TransRecOptions TransRecL2Options { get; } = TransRecOptions with { Distance = TransRecDistance.L2 };

    internal SuccessorData Data { get; } = SuccessorData.Create();
    internal PopRec Pop { get; } = new();
    internal BprMf Bpr { get; } = new(TrainedModels.SmallOptions);
    internal Fpmc Fpmc { get; } = new(FpmcOptions);
    internal TransRec TransRec { get; } = new(TransRecOptions);
    internal TransRec TransRecL2 { get; } = new(TransRecL2Options);
    internal Gru4Rec Gru4Rec { get; } = new(Gru4RecOptions);

    public SequentialModels()
    {
        Pop.Fit(Data.Train);
        Bpr.Fit(Data.Train);
        Fpmc.Fit(Data.Train);
        TransRec.Fit(Data.Train);
        TransRecL2.Fit(Data.Train);
        Gru4Rec.Fit(Data.Train);
    }

    /// <summary>The test name of <see cref="TransRecL2"/>.</summary>
    internal const string TransRecL2Name = "transrec-l2";

    internal IRecommender Model(string kind) => kind switch
    {
        Sequential.Fpmc.KindName => Fpmc,
        Sequential.TransRec.KindName => TransRec,
        TransRecL2Name => TransRecL2,
        Sequential.Gru4Rec.KindName => Gru4Rec,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>An untrained model of <paramref name="kind"/> with the test settings and the given changes.</summary>
    internal static IRecommender Create(string kind, int? epochs = null, ulong? seed = null, int? threads = null) => kind switch
    {
        Sequential.Fpmc.KindName => new Fpmc(FpmcOptions with
        {
            Epochs = epochs ?? FpmcOptions.Epochs,
            Seed = seed ?? FpmcOptions.Seed,
            Threads = threads ?? FpmcOptions.Threads,
        }),
        Sequential.TransRec.KindName => new TransRec(TransRecOptions with
        {
            Epochs = epochs ?? TransRecOptions.Epochs,
            Seed = seed ?? TransRecOptions.Seed,
            Threads = threads ?? TransRecOptions.Threads,
        }),
        Sequential.Gru4Rec.KindName => new Gru4Rec(Gru4RecOptions with
        {
            Epochs = epochs ?? Gru4RecOptions.Epochs,
            Seed = seed ?? Gru4RecOptions.Seed,
            Threads = threads ?? Gru4RecOptions.Threads,
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public void Dispose()
    {
        Pop.Dispose();
        Bpr.Dispose();
        Fpmc.Dispose();
        TransRec.Dispose();
        TransRecL2.Dispose();
        Gru4Rec.Dispose();
    }
}
