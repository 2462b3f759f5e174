using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using PoisonRange.Contracts.Platform.V1;
using GrpcPlatformClient = PoisonRange.Contracts.Platform.V1.Platform.PlatformClient;

namespace PoisonRange.Client;

/// <summary>Progress of a crawl: pages and users received so far.</summary>
public readonly record struct CrawlProgress(int Pages, int Users, int TotalUsers, int Resumptions);

/// <summary>
/// The attacker's only way to the platform: the generated gRPC client behind one Polly pipeline
/// per call kind. Every call carries the attacker key and a deadline. Pipelines, built once:
/// total timeout → client rate limiter (shared) → retry → circuit breaker (shared) → attempt timeout.
/// Register and Record always send an idempotency key, so every call kind may be retried.
/// Thread-safe; one instance per process and key.
/// </summary>
public sealed partial class PlatformClient : IDisposable
{
    private readonly PlatformClientOptions _options;
    private readonly GrpcPlatformClient _client;
    private readonly GrpcChannel? _ownedChannel;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ClientRateLimiter? _limiter;
    private readonly ResiliencePipeline[] _pipelines;
    private readonly PlatformCallCounters _counters = new();

    /// <summary>Creates a client with its own channel to <see cref="PlatformClientOptions.Address"/>.</summary>
    public PlatformClient(PlatformClientOptions options, TimeProvider? timeProvider = null, ILogger<PlatformClient>? logger = null)
        : this(CreateChannel(options), ownsChannel: true, options, timeProvider, logger)
    {
    }

    /// <summary>Creates a client over a caller-supplied invoker (an existing channel, a test server).</summary>
    public PlatformClient(CallInvoker callInvoker, PlatformClientOptions options, TimeProvider? timeProvider = null, ILogger<PlatformClient>? logger = null)
        : this(new GrpcPlatformClient(callInvoker), null, options, timeProvider, logger)
    {
    }

    private PlatformClient(GrpcChannel channel, bool ownsChannel, PlatformClientOptions options, TimeProvider? timeProvider, ILogger<PlatformClient>? logger)
        : this(new GrpcPlatformClient(channel), ownsChannel ? channel : null, options, timeProvider, logger)
    {
    }

    private PlatformClient(GrpcPlatformClient client, GrpcChannel? ownedChannel, PlatformClientOptions options, TimeProvider? timeProvider, ILogger<PlatformClient>? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _client = client;
        _ownedChannel = ownedChannel;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (options.RateLimitPerSecond > 0)
            _limiter = new ClientRateLimiter(options.RateLimitPerSecond, options.RateLimitBurst, _time);

        var breaker = options.CircuitBreaker.Enabled ? BuildCircuitBreaker() : null;
        var attempt = options.AttemptTimeout ?? options.Deadline;
        _pipelines = new ResiliencePipeline[Enum.GetValues<PlatformCallKind>().Length];
        foreach (var kind in Enum.GetValues<PlatformCallKind>())
        {
            _pipelines[(int)kind] = kind == PlatformCallKind.Crawl
                // A crawl attempt is one stream of many pages: bounded by its gRPC deadline, not by the attempt timeout.
                ? BuildPipeline(kind, options.CrawlTotalTimeout, null, breaker)
                : BuildPipeline(kind, options.TotalTimeout, attempt, breaker);
        }
    }

    public PlatformClientOptions Options => _options;

    /// <summary>Counters of calls, queries, retries and crawl pages since this client was created.</summary>
    public PlatformCallCounters Counters => _counters;

    /// <summary>Registers an account; a repeated key returns the same account. A null key gets a fresh one (still safe to retry).</summary>
    public async Task<string> RegisterAsync(string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        var request = new RegisterRequest { IdempotencyKey = KeyOrNew(idempotencyKey) };
        var reply = await UnaryAsync(PlatformCallKind.Register, (c, o) => c.RegisterAsync(request, o), cancellationToken).ConfigureAwait(false);
        return reply.AccountId;
    }

    /// <summary>Records interactions for one of the key's accounts, all or nothing; a repeated key for the account records nothing again.</summary>
    public Task<RecordReply> RecordAsync(string accountId, IEnumerable<Interaction> interactions, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        ArgumentNullException.ThrowIfNull(interactions);
        var request = new RecordRequest { AccountId = accountId, IdempotencyKey = KeyOrNew(idempotencyKey) };
        request.Interactions.AddRange(interactions);
        return UnaryAsync(PlatformCallKind.Record, (c, o) => c.RecordAsync(request, o), cancellationToken);
    }

    /// <summary>The platform's top-k for one of the key's accounts, best first. Counts against the query budget.</summary>
    public async Task<IReadOnlyList<string>> RecommendAsync(string accountId, int k, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountId);
        var request = new RecommendRequest { AccountId = accountId, K = k };
        var reply = await UnaryAsync(PlatformCallKind.Recommend, (c, o) => c.RecommendAsync(request, o), cancellationToken).ConfigureAwait(false);
        return reply.ItemIds;
    }

    /// <summary>One page of the catalogue.</summary>
    public Task<ListItemsReply> ListItemsAsync(int pageSize, string? pageToken, CancellationToken cancellationToken = default)
    {
        var request = new ListItemsRequest { PageSize = pageSize, PageToken = pageToken ?? "" };
        return UnaryAsync(PlatformCallKind.ListItems, (c, o) => c.ListItemsAsync(request, o), cancellationToken);
    }

    /// <summary>The whole catalogue, page by page.</summary>
    public async Task<IReadOnlyList<Item>> ListAllItemsAsync(int pageSize = 1000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var items = new List<Item>();
        var seenTokens = new HashSet<string>(StringComparer.Ordinal);
        string token = "";
        do
        {
            var page = await ListItemsAsync(pageSize, token, cancellationToken).ConfigureAwait(false);
            items.AddRange(page.Items);
            token = page.NextPageToken;
            if (token.Length > 0 && !seenTokens.Add(token))
                throw new InvalidOperationException($"The platform returned page token '{token}' twice while listing items.");
        }
        while (token.Length > 0);
        return items;
    }

    /// <summary>
    /// Every public user history, page by page. A transient failure mid-stream resumes after the
    /// last page received (its token), so no page is fetched twice.
    /// </summary>
    public async Task<IReadOnlyList<UserHistory>> CrawlAsync(int pageSize, IProgress<CrawlProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var state = new CrawlState(this, pageSize, progress);
        try
        {
            await _pipelines[(int)PlatformCallKind.Crawl]
                .ExecuteAsync(static (s, token) => s.RunAttemptAsync(token), state, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
        {
            throw PlatformLimitException.From(PlatformCallKind.Crawl, ex);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
        {
            throw new PlatformUnavailableException(PlatformCallKind.Crawl, false, null, ex);
        }
        catch (BrokenCircuitException ex)
        {
            throw new PlatformUnavailableException(PlatformCallKind.Crawl, true, ex.RetryAfter, ex);
        }
        return state.Users;
    }

    /// <summary>What the key has left of its budgets (not a query).</summary>
    public Task<QuotaReply> GetQuotaAsync(CancellationToken cancellationToken = default)
        => UnaryAsync(PlatformCallKind.GetQuota, (c, o) => c.GetQuotaAsync(new GetQuotaRequest(), o), cancellationToken);

    public void Dispose()
    {
        _limiter?.Dispose();
        _ownedChannel?.Dispose();
    }

    private static string KeyOrNew(string? key) => string.IsNullOrEmpty(key) ? Guid.NewGuid().ToString("N") : key;

    private CallOptions CallOptionsFor(TimeSpan deadline, CancellationToken token)
    {
        var headers = new Metadata { { "authorization", "Bearer " + _options.AttackerKey } };
        // gRPC deadlines are wall-clock instants, so they use the system clock, not the injected one.
        return new CallOptions(headers, DateTime.UtcNow + deadline, token);
    }

    private async Task<TReply> UnaryAsync<TReply>(
        PlatformCallKind kind,
        Func<GrpcPlatformClient, CallOptions, AsyncUnaryCall<TReply>> start,
        CancellationToken cancellationToken)
    {
        try
        {
            return await _pipelines[(int)kind].ExecuteAsync(
                static async (s, token) =>
                {
                    s.Self._counters.Attempt(s.Kind);
                    using var call = s.Start(s.Self._client, s.Self.CallOptionsFor(s.Self._options.Deadline, token));
                    try
                    {
                        return await call.ResponseAsync.ConfigureAwait(false);
                    }
                    catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && token.IsCancellationRequested)
                    {
                        throw new OperationCanceledException(ex.Status.Detail, ex, token);
                    }
                },
                (Self: this, Kind: kind, Start: start),
                cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
        {
            throw PlatformLimitException.From(kind, ex);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
        {
            throw new PlatformUnavailableException(kind, false, null, ex);
        }
        catch (BrokenCircuitException ex)
        {
            throw new PlatformUnavailableException(kind, true, ex.RetryAfter, ex);
        }
    }

    private ResiliencePipeline BuildPipeline(PlatformCallKind kind, TimeSpan total, TimeSpan? attempt, ResiliencePipeline? breaker)
    {
        var builder = new ResiliencePipelineBuilder { Name = "platform-" + kind.ToString().ToLowerInvariant(), TimeProvider = _time };
        builder.AddTimeout(total);
        if (_limiter is not null) builder.AddRateLimiter(_limiter.Limiter);
        if (_options.RetryMaxAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = _options.RetryMaxAttempts,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome.Exception)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(RetryDelay(args.Outcome.Exception, args.AttemptNumber)),
                OnRetry = args =>
                {
                    var limitWait = args.Outcome.Exception is RpcException { StatusCode: StatusCode.ResourceExhausted };
                    _counters.Retry(limitWait);
                    LogRetry(_logger, kind, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, Describe(args.Outcome.Exception));
                    return default;
                },
            });
        }
        if (breaker is not null) builder.AddPipeline(breaker);
        if (attempt is { } a) builder.AddTimeout(a);
        return builder.Build();
    }

    /// <summary>One breaker for every call kind: a platform that is down fails every call fast.</summary>
    private ResiliencePipeline BuildCircuitBreaker()
    {
        var cb = _options.CircuitBreaker;
        return new ResiliencePipelineBuilder { Name = "platform-breaker", TimeProvider = _time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = cb.FailureRatio,
                MinimumThroughput = cb.MinimumThroughput,
                SamplingDuration = cb.SamplingDuration,
                BreakDuration = cb.BreakDuration,
                ShouldHandle = args => ValueTask.FromResult(IsPlatformDown(args.Outcome.Exception)),
                OnOpened = args =>
                {
                    LogCircuitOpened(_logger, args.BreakDuration.TotalMilliseconds, Describe(args.Outcome.Exception));
                    return default;
                },
            })
            .Build();
    }

    private static bool IsPlatformDown(Exception? ex) => ex switch
    {
        RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded } => true,
        TimeoutRejectedException => true,
        _ => false,
    };

    private bool ShouldRetry(Exception? ex) => ex switch
    {
        // Wait exactly what the server asked for; no trailer means the limit never resets.
        RpcException { StatusCode: StatusCode.ResourceExhausted } e => PlatformErrors.RetryAfter(e) is { } d && d <= _options.MaxRetryAfter,
        RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded } => true,
        TimeoutRejectedException => true,
        _ => false,
    };

    private TimeSpan RetryDelay(Exception? ex, int attemptNumber)
    {
        if (ex is RpcException { StatusCode: StatusCode.ResourceExhausted } e && PlatformErrors.RetryAfter(e) is { } serverDelay)
            return serverDelay;
        // Exponential backoff with jitter in [0.5, 1.5) of the nominal delay, capped.
        var nominal = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attemptNumber, 30));
        var jittered = nominal * (0.5 + Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(Math.Min(jittered, _options.RetryMaxDelay.TotalMilliseconds));
    }

    private static string Describe(Exception? ex) => ex switch
    {
        null => "no exception",
        RpcException r => $"{r.StatusCode}: {r.Status.Detail}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private static GrpcChannel CreateChannel(PlatformClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions
        {
            ThrowOperationCanceledOnCancellation = true,
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
                ConnectTimeout = TimeSpan.FromSeconds(10),
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Platform {Kind}: retry {Attempt} in {DelayMs} ms after {Reason}")]
    private static partial void LogRetry(ILogger logger, PlatformCallKind kind, int attempt, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Platform circuit opened for {BreakMs} ms after {Reason}")]
    private static partial void LogCircuitOpened(ILogger logger, double breakMs, string reason);

    /// <summary>What a crawl has received so far; each retry attempt resumes from <see cref="_token"/>.</summary>
    private sealed class CrawlState(PlatformClient client, int pageSize, IProgress<CrawlProgress>? progress)
    {
        private string _token = "";
        private bool _done;
        private int _pages;
        private int _attempts;
        private int _totalUsers;

        public List<UserHistory> Users { get; } = [];

        public async ValueTask RunAttemptAsync(CancellationToken token)
        {
            if (_done) return;
            var resumption = _attempts++ > 0;
            // A stream that ends before the last page (empty token) is continued with a new call.
            while (true)
            {
                client._counters.Attempt(PlatformCallKind.Crawl);
                var request = new CrawlRequest { PageSize = pageSize, PageToken = _token };
                int pagesThisCall = 0;
                using var call = client._client.Crawl(request, client.CallOptionsFor(client._options.CrawlDeadline, token));
                try
                {
                    while (await call.ResponseStream.MoveNext(token).ConfigureAwait(false))
                    {
                        var page = call.ResponseStream.Current;
                        Users.AddRange(page.Users);
                        _pages++;
                        pagesThisCall++;
                        _totalUsers = Math.Max(_totalUsers, page.TotalUsers);
                        _token = page.NextPageToken;
                        client._counters.CrawlPage();
                        progress?.Report(new CrawlProgress(_pages, Users.Count, _totalUsers, _attempts - 1));
                        if (_token.Length == 0) break;
                    }
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && token.IsCancellationRequested)
                {
                    throw new OperationCanceledException(ex.Status.Detail, ex, token);
                }
                if (_token.Length == 0 || pagesThisCall == 0) break;
            }
            _done = true;
            if (resumption) LogCrawlResumed(client._logger, _pages, Users.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Platform crawl completed after resuming: {Pages} pages, {Users} users")]
    private static partial void LogCrawlResumed(ILogger logger, int pages, int users);
}
