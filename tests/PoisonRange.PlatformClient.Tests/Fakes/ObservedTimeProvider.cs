using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace PoisonRange.Testing.Fakes;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells which timers were created, so a test can
/// wait until code under test is sleeping on the fake clock before it advances the clock.
/// </summary>
public sealed class ObservedTimeProvider : TimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _dueTimes = new();

    public FakeTimeProvider Fake { get; } = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public IReadOnlyCollection<TimeSpan> DueTimes => _dueTimes.ToArray();

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();
    public override long GetTimestamp() => Fake.GetTimestamp();
    public override long TimestampFrequency => Fake.TimestampFrequency;
    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        _dueTimes.Enqueue(dueTime);
        return timer;
    }

    public void Advance(TimeSpan by) => Fake.Advance(by);

    /// <summary>Waits (real time, bounded) until a timer with exactly <paramref name="due"/> exists.</summary>
    public async Task WaitForTimerAsync(TimeSpan due, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!_dueTimes.Contains(due))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No timer of {due} was created; timers: {string.Join(", ", _dueTimes)}.");
            await Task.Delay(5);
        }
    }
}

public static class Eventually
{
    /// <summary>Polls (real time, bounded) until <paramref name="condition"/> holds.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Timed out waiting for: " + what);
            await Task.Delay(5);
        }
    }
}
