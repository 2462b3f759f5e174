using System.Threading.RateLimiting;

namespace PoisonRange.Client;

/// <summary>
/// A token bucket on the injected <see cref="TimeProvider"/> (so tests with a fake clock control
/// the pacing exactly): <c>rate</c> permits per second, up to <c>burst</c> saved up. Callers over
/// the rate wait in FIFO order; a cancelled waiter leaves the queue.
/// </summary>
internal sealed class ClientRateLimiter : RateLimiter
{
    private const double Epsilon = 1e-9;

    private readonly TimeProvider _time;
    private readonly double _rate;
    private readonly double _burst;
    private readonly ITimer _timer;
    private readonly LinkedList<Waiter> _queue = new();
    private readonly Lock _lock = new();
    private double _tokens;
    private long _lastRefill;
    private long _lastFull;
    private bool _disposed;

    public ClientRateLimiter(double permitsPerSecond, int burst, TimeProvider timeProvider)
    {
        if (!(permitsPerSecond > 0)) throw new ArgumentOutOfRangeException(nameof(permitsPerSecond));
        _time = timeProvider;
        _rate = permitsPerSecond;
        _burst = burst > 0 ? burst : Math.Max(1, Math.Ceiling(permitsPerSecond));
        _tokens = _burst;
        _lastRefill = _lastFull = _time.GetTimestamp();
        _timer = _time.CreateTimer(static s => ((ClientRateLimiter)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>This limiter is what the pipelines use (kept as a property for symmetry with other limiters).</summary>
    public RateLimiter Limiter => this;

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return _queue.Count == 0 && _tokens >= _burst - Epsilon ? _time.GetElapsedTime(_lastFull) : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            Refill();
            return new RateLimiterStatistics { CurrentAvailablePermits = (long)Math.Floor(_tokens + Epsilon), CurrentQueuedCount = _queue.Count };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        CheckPermits(permitCount);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Refill();
            if (_queue.Count == 0 && _tokens >= permitCount - Epsilon)
            {
                _tokens -= permitCount;
                return Lease.Acquired;
            }
            return Lease.Rejected;
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        CheckPermits(permitCount);
        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Refill();
            if (_queue.Count == 0 && _tokens >= permitCount - Epsilon)
            {
                _tokens -= permitCount;
                return ValueTask.FromResult<RateLimitLease>(Lease.Acquired);
            }
            waiter = new Waiter(permitCount);
            waiter.Node = _queue.AddLast(waiter);
            if (_queue.Count == 1) Schedule();
        }
        if (cancellationToken.CanBeCanceled)
            waiter.Registration = cancellationToken.Register(static s =>
            {
                var (limiter, w, token) = ((ClientRateLimiter, Waiter, CancellationToken))s!;
                limiter.Cancel(w, token);
            }, (this, waiter, cancellationToken));
        return new ValueTask<RateLimitLease>(waiter.Completion.Task);
    }

    private void Cancel(Waiter waiter, CancellationToken token)
    {
        lock (_lock)
        {
            if (waiter.Node?.List is null) return;
            bool wasHead = _queue.First == waiter.Node;
            _queue.Remove(waiter.Node);
            if (wasHead) Schedule();
        }
        waiter.Completion.TrySetCanceled(token);
    }

    private void OnTimer()
    {
        List<Waiter>? granted = null;
        lock (_lock)
        {
            if (_disposed) return;
            Refill();
            while (_queue.First is { } head && _tokens >= head.Value.Permits - Epsilon)
            {
                _tokens -= head.Value.Permits;
                _queue.RemoveFirst();
                (granted ??= []).Add(head.Value);
            }
            Schedule();
        }
        if (granted is null) return;
        foreach (var w in granted)
        {
            w.Registration.Dispose();
            w.Completion.TrySetResult(Lease.Acquired);
        }
    }

    /// <summary>Arms the timer for when the head waiter's permits will be there (under the lock).</summary>
    private void Schedule()
    {
        if (_queue.First is not { } head)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }
        var missing = Math.Max(0, head.Value.Permits - _tokens);
        var due = TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling(missing / _rate * TimeSpan.TicksPerSecond)));
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void Refill()
    {
        long now = _time.GetTimestamp();
        double elapsed = (now - _lastRefill) / (double)_time.TimestampFrequency;
        _lastRefill = now;
        if (elapsed <= 0) return;
        bool wasFull = _tokens >= _burst - Epsilon;
        _tokens = Math.Min(_burst, _tokens + elapsed * _rate);
        if (!wasFull && _tokens >= _burst - Epsilon) _lastFull = now;
    }

    private void CheckPermits(int permitCount)
    {
        if (permitCount < 1 || permitCount > _burst)
            throw new ArgumentOutOfRangeException(nameof(permitCount), $"Permits must be within 1..{_burst}.");
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        List<Waiter> pending;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            pending = [.. _queue];
            _queue.Clear();
        }
        _timer.Dispose();
        foreach (var w in pending)
        {
            w.Registration.Dispose();
            w.Completion.TrySetException(new ObjectDisposedException(nameof(ClientRateLimiter)));
        }
    }

    private sealed class Waiter(int permits)
    {
        public int Permits { get; } = permits;
        public TaskCompletionSource<RateLimitLease> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public LinkedListNode<Waiter>? Node { get; set; }
        public CancellationTokenRegistration Registration { get; set; }
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true);
        public static readonly Lease Rejected = new(false);

        public override bool IsAcquired { get; } = acquired;
        public override IEnumerable<string> MetadataNames => [];
        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
