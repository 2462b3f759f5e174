using PoisonRange.Range.Reports;

namespace PoisonRange.Range.Experiments;

/// <summary>Mean display rate after LOKI and after the baselines at one K, over the scenarios that ran LOKI.</summary>
public sealed record LokiComparison(int K, int Scenarios, double Loki, double BestPerScenario, string OverallBest, double OverallBestMean);

public sealed record ExperimentReport
{
    public string Schema { get; init; } = LeaveOneOutExperiment.SchemaId;
    public required string RunId { get; init; }
    public required string Experiment { get; init; }
    public required DateTimeOffset StartedUtc { get; init; }
    public required double WallSeconds { get; init; }
    public required string Dataset { get; init; }
    public required int K { get; init; }
    public required IReadOnlyList<ulong> Seeds { get; init; }
    public required IReadOnlyList<ExperimentScenario> Scenarios { get; init; }
}

public sealed record ExperimentScenario
{
    public required string Victim { get; init; }
    public required IReadOnlyList<string> LocalModels { get; init; }
    /// <summary>Where the scenario's own report (report.json, report.md, profiles) was written.</summary>
    public required string ReportDirectory { get; init; }
    public required double WallSeconds { get; init; }
    public required IReadOnlyList<AttackSummary> Summary { get; init; }
    public required IReadOnlyDictionary<string, MeanStd> BaselinePhaseSeconds { get; init; }
    /// <summary>LOKI's own phases inside generate: simulator, estimator, groups, train, generate.</summary>
    public required IReadOnlyDictionary<string, MeanStd> LokiPhaseSeconds { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
