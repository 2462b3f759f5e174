using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Data;

namespace PoisonRange.Platform.Engine;

/// <summary>Everything the platform derives from a configured scenario: data, public view, keys, the serving model.</summary>
public sealed class ScenarioRuntime
{
    private ServingModel _serving = null!;

    public ScenarioRuntime(Scenario scenario, InteractionDataset baseData, InteractionDataset publicData)
    {
        Scenario = scenario;
        Base = baseData;
        Public = publicData;
        AttackerKeys = new HashSet<string>(scenario.AttackerKeys, StringComparer.Ordinal);
        BaseSeen = new HashSet<int>[baseData.UserCount];
        for (int u = 0; u < baseData.UserCount; u++) BaseSeen[u] = [.. baseData.Sequences[u]];
    }

    public Scenario Scenario { get; }

    /// <summary>The platform's own data (normal users), before any registered account.</summary>
    public InteractionDataset Base { get; }

    /// <summary>What the crawl exposes under the knowledge policy.</summary>
    public InteractionDataset Public { get; }

    public HashSet<string> AttackerKeys { get; }

    /// <summary>Items each normal user has interacted with.</summary>
    public HashSet<int>[] BaseSeen { get; }

    /// <summary>The model that answers; set before the runtime becomes current (see <see cref="HasServing"/>).</summary>
    public ServingModel Serving
    {
        get => Volatile.Read(ref _serving);
        set => Volatile.Write(ref _serving, value);
    }

    /// <summary>False only while the first model of a scenario restored without a checkpoint trains.</summary>
    public bool HasServing => Volatile.Read(ref _serving) is not null;

    /// <summary>The interaction count and time at which the scheduler retrains next (null: never).</summary>
    public long? NextRetrainAtCount { get; set; }
    public DateTimeOffset? NextRetrainAt { get; set; }
    public int Retrains { get; set; }
}
