namespace PoisonRange.Platform.Engine;

public sealed partial class PlatformEngine
{
    /// <summary>
    /// Sets the next retrain thresholds from the scenario's policy, each with its own jitter, so
    /// the attacker cannot predict when the model changes.
    /// </summary>
    private void ScheduleNext(ScenarioRuntime runtime, long interactionCount, DateTimeOffset trainedAt)
    {
        var policy = runtime.Scenario.Retrain;
        lock (_jitterLock)
        {
            if (runtime.Retrains <= 1 && _jitterSeed != runtime.Scenario.Seed)
            {
                _jitter = new Data.SeededRandom(runtime.Scenario.Seed ^ 0x7177_E500UL);
                _jitterSeed = runtime.Scenario.Seed;
            }
            runtime.NextRetrainAtCount = policy.EveryNewInteractions > 0
                ? interactionCount + Math.Max(1, (long)Math.Round(policy.EveryNewInteractions * Jitter(policy.Jitter)))
                : null;
            runtime.NextRetrainAt = policy.IntervalMs > 0
                ? trainedAt + TimeSpan.FromMilliseconds(Math.Max(1, policy.IntervalMs * Jitter(policy.Jitter)))
                : null;
        }
    }

    private readonly Lock _jitterLock = new();
    private ulong _jitterSeed = ulong.MaxValue;

    private double Jitter(double amount) => amount <= 0 ? 1 : 1 + amount * (2 * _jitter.NextDouble() - 1);

    private void StartScheduler(ScenarioRuntime runtime)
    {
        StopScheduler();
        var policy = runtime.Scenario.Retrain;
        if (policy.IntervalMs <= 0 && policy.EveryNewInteractions <= 0) return;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        _schedulerCts = cts;
        _scheduler = Task.Run(() => RunSchedulerAsync(runtime, cts.Token));
    }

    private void StopScheduler()
    {
        var cts = _schedulerCts;
        _schedulerCts = null;
        if (cts is null) return;
        cts.Cancel();
        try { _scheduler?.Wait(TimeSpan.FromSeconds(30)); }
        catch (AggregateException) { }
        cts.Dispose();
    }

    private async Task RunSchedulerAsync(ScenarioRuntime runtime, CancellationToken ct)
    {
        var poll = TimeSpan.FromMilliseconds(Math.Max(10, _options.SchedulerPollMs));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(poll, _time, ct);
                if (!ReferenceEquals(Current, runtime)) return;
                bool due = runtime.NextRetrainAt is { } at && _time.GetUtcNow() >= at;
                if (!due && runtime.NextRetrainAtCount is { } count)
                    due = await _store.GetInteractionCountAsync(ct) >= count;
                if (due) await TrainAsync(runtime, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogRetrainFailed(_log, ex);
                // Do not spin on a failing retrain: try again after the next interval.
                runtime.NextRetrainAt = _time.GetUtcNow() + TimeSpan.FromSeconds(5);
            }
        }
    }
}
