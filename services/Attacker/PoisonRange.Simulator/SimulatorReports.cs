namespace PoisonRange.Simulator;

/// <summary>One local model's weight and how closely it imitates the platform.</summary>
/// <param name="FitKendall">Mean Kendall tau distance to the platform's top-K on the fit probes.</param>
/// <param name="HeldOutKendall">The same on the held-out probes (NaN without held-out probes).</param>
/// <param name="HeldOutOverlap">Mean overlap@K with the platform on the held-out probes.</param>
public sealed record ModelAgreement(string Kind, double Weight, double FitKendall, double HeldOutKendall, double HeldOutOverlap);

/// <summary>
/// The ensemble's weights and its agreement with the platform. Held-out figures are NaN when
/// there were no held-out probes. The best single model is the one the unregularised, linear
/// Eq. 1 objective puts all weight on (lowest fit distance); its held-out figures are the
/// baseline the weighted ensemble is compared with.
/// </summary>
public sealed record SimulatorAgreement(
    IReadOnlyList<ModelAgreement> Models,
    double EnsembleKendall,
    double EnsembleOverlap,
    string? BestSingleKind,
    double BestSingleKendall,
    double BestSingleOverlap,
    int FitProbes,
    int HeldOutProbes,
    int K,
    double? Temperature,
    WeightMethod Method,
    string Message)
{
    /// <summary>True when the weights are uniform because nothing was measured (zero budget or no fit probes).</summary>
    public bool UniformWeights => Method == WeightMethod.Uniform;
}

/// <summary>
/// What a build spent on the platform, from the client's counters (every RPC attempt, retries
/// included) and the platform's replies (interactions accepted).
/// </summary>
/// <param name="QueriesRequested">Probe queries the options asked for.</param>
/// <param name="QueriesPlanned">Probe queries after the budget and the platform's remaining limits.</param>
/// <param name="Queries">Recommend calls sent (what the platform counts against the query budget).</param>
/// <param name="Actions">Interactions recorded for probe accounts.</param>
/// <param name="Accounts">Probe accounts registered.</param>
/// <param name="CrawlPages">Crawl pages received.</param>
/// <param name="Calls">Every RPC sent, of any kind.</param>
/// <param name="Retries">Retries among <paramref name="Calls"/>.</param>
/// <param name="Degraded">Fewer probes than requested because of a budget or a platform limit.</param>
/// <param name="Message">Why, when degraded; how the probes split otherwise.</param>
public sealed record SimulatorSpend(
    long QueriesRequested,
    long QueriesPlanned,
    long Queries,
    long Actions,
    int Accounts,
    long CrawlPages,
    long Calls,
    long Retries,
    bool Degraded,
    string Message)
{
    public static SimulatorSpend None { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, false, "nothing spent");
}

/// <summary>Progress of a build: phase (crawl, train, probe, fit), done of total, a message.</summary>
public readonly record struct SimulatorProgress(string Phase, long Done, long Total, string Message);
