using System.Diagnostics.Metrics;

namespace PoisonRange.Platform.Diagnostics;

/// <summary>
/// The platform's own meter, <see cref="MeterName"/>:
/// <list type="bullet">
/// <item><c>poisonrange.platform.queries.admitted</c> (counter, tag <c>limit</c>): calls of the
/// Platform API that went through, once per limit they were checked against (a recommendation
/// against <c>account-window</c> and <c>key-budget</c>, a registration against
/// <c>registrations-total</c> and <c>registrations-window</c>, a recorded batch against
/// <c>actions</c>, a crawl page against <c>crawl-pages</c>);</item>
/// <item><c>poisonrange.platform.queries.refused</c> (counter, tag <c>limit</c>): calls refused,
/// under the one limit that refused them;</item>
/// <item><c>poisonrange.platform.retrains</c> (counter, tag <c>outcome</c>: succeeded, failed,
/// cancelled): every training of a victim, the first one of a scenario included;</item>
/// <item><c>poisonrange.platform.training.duration</c> (histogram, s): the time a successful
/// training spent fitting the victim;</item>
/// <item><c>poisonrange.platform.model.version</c> (observable gauge): the sequence number of the
/// serving model (m3 is 3), no measurement while no model serves.</item>
/// </list>
/// Limit names are those of <see cref="Stores.LimitNames"/>.
/// </summary>
public sealed class PlatformMetrics
{
    public const string MeterName = "PoisonRange.Platform";

    private readonly Counter<long> _admitted;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _retrains;
    private readonly Histogram<double> _trainingSeconds;
    private Func<int?> _servingSequence = static () => null;

    public PlatformMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _admitted = Meter.CreateCounter<long>("poisonrange.platform.queries.admitted", "{call}",
            "Platform API calls that went through, per limit checked");
        _refused = Meter.CreateCounter<long>("poisonrange.platform.queries.refused", "{call}",
            "Platform API calls refused, per limit that refused");
        _retrains = Meter.CreateCounter<long>("poisonrange.platform.retrains", "{retrain}",
            "Trainings of the victim model, per outcome");
        _trainingSeconds = Meter.CreateHistogram<double>("poisonrange.platform.training.duration", "s",
            "Time spent fitting the victim model");
        Meter.CreateObservableGauge("poisonrange.platform.model.version", ObserveVersion, "{version}",
            "Sequence number of the serving model");
    }

    /// <summary>The meter this instance records on (one per meter factory).</summary>
    public Meter Meter { get; }

    public void Admitted(string limit) => _admitted.Add(1, new KeyValuePair<string, object?>("limit", limit));

    public void Admitted(string limit, string otherLimit)
    {
        Admitted(limit);
        Admitted(otherLimit);
    }

    public void Refused(string limit) => _refused.Add(1, new KeyValuePair<string, object?>("limit", limit));

    public void Retrained(double fitSeconds)
    {
        _retrains.Add(1, new KeyValuePair<string, object?>("outcome", "succeeded"));
        _trainingSeconds.Record(fitSeconds);
    }

    public void RetrainFailed(bool cancelled) =>
        _retrains.Add(1, new KeyValuePair<string, object?>("outcome", cancelled ? "cancelled" : "failed"));

    /// <summary>Where the gauge reads the serving model's sequence number (null: none serves).</summary>
    public void ObserveServingModel(Func<int?> sequence) => _servingSequence = sequence ?? throw new ArgumentNullException(nameof(sequence));

    private IEnumerable<Measurement<int>> ObserveVersion()
    {
        if (_servingSequence() is { } sequence) yield return new Measurement<int>(sequence);
    }
}
