using PoisonRange.Recommenders.Baselines;
using PoisonRange.Recommenders.Factorization;

namespace PoisonRange.Recommenders.Tests;

/// <summary>One PopRec and one BPR-MF trained on the community data, shared by a test class.</summary>
public sealed class TrainedModels : IDisposable
{
    internal static BprMfOptions SmallOptions { get; } = new()
    {
        Factors = 8,
        Epochs = 20,
        BatchSize = 128,
        LearningRate = 0.02,
        L2 = 0.03,
        Seed = 11,
        Threads = 1,
    };

    internal CommunityData Data { get; } = CommunityData.Create();
    internal PopRec Pop { get; } = new();
    internal BprMf Bpr { get; } = new(SmallOptions);

    public TrainedModels()
    {
        Pop.Fit(Data.Train);
        Bpr.Fit(Data.Train);
    }

    public void Dispose()
    {
        Pop.Dispose();
        Bpr.Dispose();
    }
}
