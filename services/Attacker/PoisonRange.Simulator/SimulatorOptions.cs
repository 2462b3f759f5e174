using System.Globalization;

namespace PoisonRange.Simulator;

/// <summary>One local model of the ensemble: a kind of the model zoo and its hyper-parameters.</summary>
public sealed record LocalModelSpec(string Kind, IReadOnlyDictionary<string, string>? HyperParameters = null)
{
    public override string ToString() => HyperParameters is { Count: > 0 } h
        ? $"{Kind}({string.Join(", ", h.Select(p => $"{p.Key}={p.Value}"))})"
        : Kind;
}

/// <summary>
/// Settings of <see cref="SimulatorBuilder"/>: which local models to train, how many platform
/// queries to spend on probes and how to turn the answers into ensemble weights. Bound from the
/// <c>Simulator</c> configuration section; <see cref="Validate"/> names the first bad setting.
/// </summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "Simulator";

    /// <summary>LOKI's four next-item recommenders; the leave-one-out scenario uses three of them.</summary>
    public static IReadOnlyList<string> LokiKinds { get; } = ["bprmf", "fpmc", "gru4rec", "transrec"];

    /// <summary>The local models. Empty: <see cref="LokiKinds"/> without <see cref="LeaveOut"/>.</summary>
    public List<LocalModelSpec> Models { get; set; } = [];

    /// <summary>
    /// The kind left out of the default model list (LOKI's leave-one-out: the scenario's victim,
    /// which the exercise designer knows and the attacker code never learns from the platform).
    /// </summary>
    public string? LeaveOut { get; set; }

    /// <summary>
    /// Probe queries (fit and held-out together) as an exact count; null uses
    /// <see cref="ProbeFraction"/>. Each probe is one registered account, one history and one query.
    /// </summary>
    public int? ProbeQueries { get; set; }

    /// <summary>Probe queries as a fraction of the crawled training interactions (LOKI §3.2: 1%).</summary>
    public double ProbeFraction { get; set; } = 0.01;

    /// <summary>Share of the probe queries held out from fitting and used only for the agreement figures.</summary>
    public double HoldoutFraction { get; set; } = 0.2;

    /// <summary>Hard cap on Recommend calls this build may send (the budget given to it); null: none beyond the platform's.</summary>
    public long? MaxQueries { get; set; }

    /// <summary>Hard cap on interactions this build may record for its probe accounts; null: none beyond the platform's.</summary>
    public long? MaxActions { get; set; }

    /// <summary>Hard cap on accounts this build may register; null: none beyond the platform's.</summary>
    public int? MaxAccounts { get; set; }

    /// <summary>Interactions recorded per probe account (LOKI's 15 actions), lowered to the platform's per-account limit.</summary>
    public int ProbeHistoryLength { get; set; } = 15;

    /// <summary>Length of the top-K lists compared with the platform's (Eq. 1 truncated to top-K).</summary>
    public int K { get; set; } = 10;

    /// <summary>
    /// Depth of each model's list in the weighted vote: item at rank r (0-based) of model m gets
    /// w_m · (D − r) / D votes when r &lt; D.
    /// </summary>
    public int VoteDepth { get; set; } = 100;

    /// <summary>
    /// Softmax temperature τ of the weights, w_m ∝ exp(−d̄_m / τ), with d̄_m the model's mean
    /// Kendall tau distance on the fit probes. Null: chosen by cross-validation over the fit probes
    /// from <see cref="TemperatureGrid"/>.
    /// </summary>
    public double? Temperature { get; set; }

    /// <summary>Candidate temperatures for the cross-validated choice.</summary>
    public List<double> TemperatureGrid { get; set; } = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5];

    /// <summary>Folds of the temperature cross-validation (fewer when there are fewer fit probes).</summary>
    public int CrossValidationFolds { get; set; } = 5;

    /// <summary>Temperature used when there are too few fit probes to cross-validate (fewer than 4).</summary>
    public double DefaultTemperature { get; set; } = 0.02;

    /// <summary>Probe accounts handled at once.</summary>
    public int ProbeConcurrency { get; set; } = 4;

    /// <summary>
    /// Crawled users to leave out of the training set: the attacker's own accounts (earlier
    /// probes, injected fake users), should the platform publish them.
    /// </summary>
    public HashSet<string> ExcludeUsers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Users per crawl page.</summary>
    public int CrawlPageSize { get; set; } = 500;

    /// <summary>Seeds model training and probe sampling.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>Intra-op threads for training and scoring.</summary>
    public int Threads { get; set; } = 1;

    /// <summary>The local model list after defaults: <see cref="Models"/>, or LOKI's kinds without <see cref="LeaveOut"/>.</summary>
    public IReadOnlyList<LocalModelSpec> EffectiveModels()
    {
        if (Models.Count > 0) return Models;
        var leaveOut = LeaveOut?.Trim();
        return LokiKinds.Where(k => !string.Equals(k, leaveOut, StringComparison.OrdinalIgnoreCase))
            .Select(k => new LocalModelSpec(k)).ToArray();
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        var models = EffectiveModels();
        if (models.Count == 0) throw new ArgumentException("Simulator:Models is empty: the ensemble needs at least one local model.");
        foreach (var m in models)
            if (string.IsNullOrWhiteSpace(m.Kind)) throw new ArgumentException("Simulator:Models has an entry without a kind.");
        var duplicate = models.GroupBy(m => m.Kind.Trim(), StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Simulator:Models lists '{duplicate.Key}' twice.");
        if (ProbeQueries is < 0) throw new ArgumentException($"Simulator:ProbeQueries must not be negative, got {ProbeQueries}.");
        if (!(ProbeFraction >= 0 && ProbeFraction <= 1)) throw new ArgumentException($"Simulator:ProbeFraction must be in [0, 1], got {F(ProbeFraction)}.");
        if (!(HoldoutFraction >= 0 && HoldoutFraction < 1)) throw new ArgumentException($"Simulator:HoldoutFraction must be in [0, 1), got {F(HoldoutFraction)}.");
        if (MaxQueries is < 0) throw new ArgumentException($"Simulator:MaxQueries must not be negative, got {MaxQueries}.");
        if (MaxActions is < 0) throw new ArgumentException($"Simulator:MaxActions must not be negative, got {MaxActions}.");
        if (MaxAccounts is < 0) throw new ArgumentException($"Simulator:MaxAccounts must not be negative, got {MaxAccounts}.");
        if (ProbeHistoryLength < 1) throw new ArgumentException($"Simulator:ProbeHistoryLength must be at least 1, got {ProbeHistoryLength}.");
        if (K < 1) throw new ArgumentException($"Simulator:K must be at least 1, got {K}.");
        if (VoteDepth < K) throw new ArgumentException($"Simulator:VoteDepth ({VoteDepth}) must be at least K ({K}).");
        if (Temperature is { } t && !(t > 0)) throw new ArgumentException($"Simulator:Temperature must be positive, got {F(t)}.");
        if (TemperatureGrid.Count == 0 || TemperatureGrid.Any(t => !(t > 0)))
            throw new ArgumentException("Simulator:TemperatureGrid must hold positive temperatures.");
        if (!(DefaultTemperature > 0)) throw new ArgumentException($"Simulator:DefaultTemperature must be positive, got {F(DefaultTemperature)}.");
        if (CrossValidationFolds < 2) throw new ArgumentException($"Simulator:CrossValidationFolds must be at least 2, got {CrossValidationFolds}.");
        if (ProbeConcurrency < 1) throw new ArgumentException($"Simulator:ProbeConcurrency must be at least 1, got {ProbeConcurrency}.");
        if (CrawlPageSize < 1) throw new ArgumentException($"Simulator:CrawlPageSize must be at least 1, got {CrawlPageSize}.");
        if (Threads < 1) throw new ArgumentException($"Simulator:Threads must be at least 1, got {Threads}.");
    }

    /// <summary>A copy (lists copied) so that a running build is not changed under it.</summary>
    public SimulatorOptions Clone()
    {
        var copy = (SimulatorOptions)MemberwiseClone();
        copy.Models = [.. Models];
        copy.TemperatureGrid = [.. TemperatureGrid];
        copy.ExcludeUsers = new HashSet<string>(ExcludeUsers, StringComparer.Ordinal);
        return copy;
    }

    private static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
}
