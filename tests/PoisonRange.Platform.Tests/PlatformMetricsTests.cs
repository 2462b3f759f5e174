using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Grpc.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Platform.Diagnostics;
using Xunit;

namespace PoisonRange.Platform.Tests;

/// <summary>The platform's own meter, read with a MeterListener, and its readiness check.</summary>
public sealed class PlatformMetricsTests
{
    /// <summary>Every measurement of one platform's meter (other platforms in the process are ignored).</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, string? Tag)> _measurements = new();

        public Recorder(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter)) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
            _listener.Start();
        }

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            _measurements.Enqueue((instrument.Name, value, tags.Length == 0 ? null : tags[0].Value as string));

        public double Sum(string instrument, string? tag = null) =>
            _measurements.Where(m => m.Instrument == instrument && (tag is null || m.Tag == tag)).Sum(m => m.Value);

        public IReadOnlyList<double> Values(string instrument) =>
            [.. _measurements.Where(m => m.Instrument == instrument).Select(m => m.Value)];

        public void ObserveGauges() => _listener.RecordObservableInstruments();

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task Limits_retrains_training_time_and_model_version_are_measured()
    {
        await using var h = await PlatformHarness.StartAsync();
        using var recorder = new Recorder(h.Running.Engine.Instruments.Meter);
        Assert.Equal(PlatformMetrics.MeterName, h.Running.Engine.Instruments.Meter.Name);

        recorder.ObserveGauges();
        Assert.Empty(recorder.Values("poisonrange.platform.model.version"));

        await h.Referee.ConfigureAsync(PlatformHarness.SmallScenario("poprec", l =>
        {
            l.QueryBudgetPerKey = 2;
            l.QueriesPerAccountPerWindow = -1;
            l.ActionsPerAccount = 3;
        }));
        var items = await h.ItemsAsync();
        var account = (await h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
        for (int i = 0; i < 3; i++)
        {
            try { await h.Attacker.RecommendAsync(new RecommendRequest { AccountId = account, K = 5 }); }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted) { }
        }
        await h.Attacker.RecordAsync(new RecordRequest { AccountId = account, Interactions = { new Interaction { ItemId = items[0] } } });
        var tooMany = new RecordRequest { AccountId = account };
        for (int i = 1; i < 4; i++) tooMany.Interactions.Add(new Interaction { ItemId = items[i] });
        await Assert.ThrowsAsync<RpcException>(async () => await h.Attacker.RecordAsync(tooMany));
        await h.Referee.RetrainAsync(new RetrainRequest());

        const string admitted = "poisonrange.platform.queries.admitted", refused = "poisonrange.platform.queries.refused";
        Assert.Equal(2, recorder.Sum(admitted, "key-budget"));
        Assert.Equal(2, recorder.Sum(admitted, "account-window"));
        Assert.Equal(1, recorder.Sum(refused, "key-budget"));
        Assert.Equal(1, recorder.Sum(admitted, "registrations-total"));
        Assert.Equal(1, recorder.Sum(admitted, "actions"));
        Assert.Equal(1, recorder.Sum(refused, "actions"));
        Assert.Equal(2, recorder.Sum(refused));

        // Configure trains m1, Retrain m2.
        Assert.Equal(2, recorder.Sum("poisonrange.platform.retrains", "succeeded"));
        var seconds = recorder.Values("poisonrange.platform.training.duration");
        Assert.Equal(2, seconds.Count);
        Assert.All(seconds, s => Assert.True(s >= 0));
        recorder.ObserveGauges();
        Assert.Equal(2, recorder.Values("poisonrange.platform.model.version")[^1]);
    }

    [Fact]
    public async Task Readiness_is_unhealthy_until_a_model_serves()
    {
        await using var h = await PlatformHarness.StartAsync();
        var engine = h.Running.Engine;
        var check = new PlatformReadinessCheck(engine);
        var context = new HealthCheckContext();

        Assert.False(engine.IsServing);
        var before = await check.CheckHealthAsync(context);
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Equal("no model serves", before.Description);

        await h.Referee.ConfigureAsync(PlatformHarness.SmallScenario("poprec"));
        Assert.True(engine.IsServing);
        var after = await check.CheckHealthAsync(context);
        Assert.Equal(HealthStatus.Healthy, after.Status);
        Assert.Equal("model m1 serves", after.Description);
    }
}
