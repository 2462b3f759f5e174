using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PoisonRange.Contracts.Platform.V1;

namespace PoisonRange.Testing.Fakes;

/// <summary>
/// The behaviour of the platform's public contract that attacker code relies on, in memory:
/// keys, accounts, idempotent Register/Record, the M limit (no trailer), a registration window
/// (retry-after-ms and grpc-retry-pushback-ms trailers), an accounts limit, a query budget,
/// paged catalogue and crawl; plus hooks that inject faults. Counts everything for assertions.
/// </summary>
public sealed class FakePlatformState
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FakeAccount> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Key, string Idem), string> _registerKeys = new();
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string?> _authorizations = new();
    private int _nextAccount;
    private long _windowStartMs = long.MinValue;
    private int _windowCount;

    public HashSet<string> Keys { get; } = new(StringComparer.Ordinal) { "attacker-key" };
    public List<string> Catalogue { get; } = [];
    public List<UserHistory> PublicHistories { get; } = [];

    /// <summary>M: actions per account over its lifetime (RESOURCE_EXHAUSTED, no trailer); 0: unlimited.</summary>
    public int ActionsPerAccount { get; set; }

    /// <summary>Accounts per key in total (RESOURCE_EXHAUSTED, no trailer); 0: unlimited.</summary>
    public int AccountsLimit { get; set; }

    /// <summary>Registrations per key per window (RESOURCE_EXHAUSTED with retry-after-ms); 0: unlimited.</summary>
    public int RegistrationsPerWindow { get; set; }
    public TimeSpan RegistrationWindow { get; set; } = TimeSpan.FromSeconds(1);

    public int QueryBudget { get; set; }
    public int CrawlPagesLimit { get; set; }
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Called before a call is handled, with the method and its 1-based call number; may throw an RpcException.</summary>
    public Action<string, int>? BeforeCall { get; set; }

    /// <summary>Called after a call was handled (its effect applied), before the answer is sent; may throw to lose the answer.</summary>
    public Action<string, int>? AfterCall { get; set; }

    /// <summary>Called before each crawl page is written, with the global page number (1-based); may throw.</summary>
    public Action<int>? BeforeCrawlPage { get; set; }

    public int CrawlPagesServed;
    public int RegisterReplays;
    public int RecordReplays;
    public int MaxConcurrentRegistrationsInWindow;
    public ConcurrentQueue<string> CrawlTokens { get; } = new();

    public int Calls(string method) => _calls.TryGetValue(method, out var n) ? n : 0;
    public IReadOnlyList<string?> Authorizations => _authorizations.ToArray();

    public IReadOnlyList<FakeAccount> Accounts
    {
        get
        {
            lock (_lock) return _accounts.Values.ToArray();
        }
    }

    internal int Enter(string method, ServerCallContext context)
    {
        var n = _calls.AddOrUpdate(method, 1, (_, v) => v + 1);
        var auth = context.RequestHeaders.GetValue("authorization");
        _authorizations.Enqueue(auth);
        BeforeCall?.Invoke(method, n);
        return n;
    }

    internal string Authenticate(ServerCallContext context)
    {
        var auth = context.RequestHeaders.GetValue("authorization");
        if (auth is null || !auth.StartsWith("Bearer ", StringComparison.Ordinal) || !Keys.Contains(auth["Bearer ".Length..]))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing or unknown attacker key"));
        return auth["Bearer ".Length..];
    }

    internal static RpcException Exhausted(string limit, string message, long? retryAfterMs)
    {
        var trailers = new Metadata { { "limit", limit } };
        if (retryAfterMs is { } ms)
        {
            trailers.Add("retry-after-ms", ms.ToString(CultureInfo.InvariantCulture));
            trailers.Add("grpc-retry-pushback-ms", ms.ToString(CultureInfo.InvariantCulture));
        }
        return new RpcException(new Status(StatusCode.ResourceExhausted, message), trailers);
    }

    internal string Register(string key, string idempotencyKey)
    {
        lock (_lock)
        {
            if (idempotencyKey.Length > 0 && _registerKeys.TryGetValue((key, idempotencyKey), out var existing))
            {
                RegisterReplays++;
                return existing;
            }
            int owned = _accounts.Values.Count(a => a.Key == key);
            if (AccountsLimit > 0 && owned >= AccountsLimit)
                throw Exhausted("accounts", $"key has {owned} of {AccountsLimit} accounts", null);
            if (RegistrationsPerWindow > 0)
            {
                long now = Clock.GetUtcNow().ToUnixTimeMilliseconds();
                long window = (long)RegistrationWindow.TotalMilliseconds;
                if (now >= _windowStartMs + window)
                {
                    _windowStartMs = now;
                    _windowCount = 0;
                }
                if (_windowCount >= RegistrationsPerWindow)
                    throw Exhausted("registrations-per-window", "registration window full", Math.Max(1, _windowStartMs + window - now));
                _windowCount++;
                MaxConcurrentRegistrationsInWindow = Math.Max(MaxConcurrentRegistrationsInWindow, _windowCount);
            }
            var id = "acct-" + (++_nextAccount).ToString("D4", CultureInfo.InvariantCulture);
            _accounts[id] = new FakeAccount(id, key);
            if (idempotencyKey.Length > 0) _registerKeys[(key, idempotencyKey)] = id;
            return id;
        }
    }

    internal RecordReply Record(string key, RecordRequest request)
    {
        lock (_lock)
        {
            if (request.Interactions.Count == 0) throw new RpcException(new Status(StatusCode.InvalidArgument, "empty batch"));
            if (!_accounts.TryGetValue(request.AccountId, out var account)) throw new RpcException(new Status(StatusCode.NotFound, "no such account"));
            if (account.Key != key) throw new RpcException(new Status(StatusCode.PermissionDenied, "another key's account"));
            if (request.IdempotencyKey.Length > 0 && account.Replies.TryGetValue(request.IdempotencyKey, out var first))
            {
                RecordReplays++;
                var replay = first.Clone();
                replay.Replayed = true;
                return replay;
            }
            var catalogue = Catalogue.ToHashSet();
            foreach (var x in request.Interactions)
                if (!catalogue.Contains(x.ItemId)) throw new RpcException(new Status(StatusCode.NotFound, $"item '{x.ItemId}' is not in the catalogue"));
            if (ActionsPerAccount > 0 && account.Interactions.Count + request.Interactions.Count > ActionsPerAccount)
                throw Exhausted("actions", $"account may record {ActionsPerAccount - account.Interactions.Count} more", null);
            account.Interactions.AddRange(request.Interactions.Select(x => x.Clone()));
            var reply = new RecordReply
            {
                Accepted = request.Interactions.Count,
                RemainingActions = ActionsPerAccount > 0 ? ActionsPerAccount - account.Interactions.Count : int.MaxValue,
            };
            if (request.IdempotencyKey.Length > 0) account.Replies[request.IdempotencyKey] = reply.Clone();
            return reply;
        }
    }

    internal QuotaReply Quota(string key)
    {
        lock (_lock)
        {
            return new QuotaReply
            {
                Accounts = _accounts.Values.Count(a => a.Key == key),
                AccountsLimit = AccountsLimit,
                QueryBudget = QueryBudget,
                CrawlPagesUsed = CrawlPagesServed,
                CrawlPagesLimit = CrawlPagesLimit,
                MaxActionsPerAccount = ActionsPerAccount,
                KMax = 100,
            };
        }
    }
}

public sealed class FakeAccount(string id, string key)
{
    public string Id { get; } = id;
    public string Key { get; } = key;
    public List<Interaction> Interactions { get; } = [];
    internal Dictionary<string, RecordReply> Replies { get; } = new(StringComparer.Ordinal);
}

public sealed class FakePlatformService(FakePlatformState state) : PoisonRange.Contracts.Platform.V1.Platform.PlatformBase
{
    public override Task<RegisterReply> Register(RegisterRequest request, ServerCallContext context)
    {
        var n = state.Enter("Register", context);
        var key = state.Authenticate(context);
        var reply = new RegisterReply { AccountId = state.Register(key, request.IdempotencyKey) };
        state.AfterCall?.Invoke("Register", n);
        return Task.FromResult(reply);
    }

    public override Task<RecordReply> Record(RecordRequest request, ServerCallContext context)
    {
        var n = state.Enter("Record", context);
        var key = state.Authenticate(context);
        var reply = state.Record(key, request);
        state.AfterCall?.Invoke("Record", n);
        return Task.FromResult(reply);
    }

    public override Task<RecommendReply> Recommend(RecommendRequest request, ServerCallContext context)
    {
        state.Enter("Recommend", context);
        state.Authenticate(context);
        var reply = new RecommendReply();
        reply.ItemIds.AddRange(state.Catalogue.Take(request.K));
        return Task.FromResult(reply);
    }

    public override Task<ListItemsReply> ListItems(ListItemsRequest request, ServerCallContext context)
    {
        state.Enter("ListItems", context);
        state.Authenticate(context);
        int size = request.PageSize > 0 ? request.PageSize : 100;
        int offset = request.PageToken.Length == 0 ? 0 : int.Parse(request.PageToken, CultureInfo.InvariantCulture);
        var reply = new ListItemsReply { TotalItems = state.Catalogue.Count };
        int end = Math.Min(state.Catalogue.Count, offset + size);
        for (int i = offset; i < end; i++) reply.Items.Add(new Item { ItemId = state.Catalogue[i], Title = "title " + state.Catalogue[i] });
        reply.NextPageToken = end < state.Catalogue.Count ? end.ToString(CultureInfo.InvariantCulture) : "";
        return Task.FromResult(reply);
    }

    public override async Task Crawl(CrawlRequest request, IServerStreamWriter<CrawlPage> responseStream, ServerCallContext context)
    {
        state.Enter("Crawl", context);
        state.Authenticate(context);
        state.CrawlTokens.Enqueue(request.PageToken);
        int size = request.PageSize > 0 ? request.PageSize : 100;
        int offset = request.PageToken.Length == 0 ? 0 : int.Parse(request.PageToken, CultureInfo.InvariantCulture);
        var users = state.PublicHistories;
        do
        {
            int page = Interlocked.Increment(ref state.CrawlPagesServed);
            state.BeforeCrawlPage?.Invoke(page);
            int end = Math.Min(users.Count, offset + size);
            var reply = new CrawlPage { TotalUsers = users.Count, NextPageToken = end < users.Count ? end.ToString(CultureInfo.InvariantCulture) : "" };
            for (int i = offset; i < end; i++) reply.Users.Add(users[i]);
            await responseStream.WriteAsync(reply);
            offset = end;
        }
        while (offset < users.Count);
    }

    public override Task<QuotaReply> GetQuota(GetQuotaRequest request, ServerCallContext context)
    {
        state.Enter("GetQuota", context);
        var key = state.Authenticate(context);
        return Task.FromResult(state.Quota(key));
    }
}

/// <summary>The fake platform on Kestrel, 127.0.0.1, a free port, HTTP/2 without TLS.</summary>
public sealed class FakePlatformHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakePlatformHost(WebApplication app, FakePlatformState state, string address)
    {
        _app = app;
        State = state;
        Address = address;
    }

    public FakePlatformState State { get; }
    public string Address { get; }

    public static async Task<FakePlatformHost> StartAsync(FakePlatformState? state = null)
    {
        state ??= new FakePlatformState();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.EnableDetailedErrors = true);
        builder.Services.AddSingleton(state);
        var app = builder.Build();
        app.MapGrpcService<FakePlatformService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakePlatformHost(app, state, address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A small catalogue and public histories for fakes: items i000.., users u000.., timestamps increasing.</summary>
public static class FakeData
{
    public static FakePlatformState WithCatalogue(this FakePlatformState state, int items, int users = 0, int historyLength = 6, int seed = 1)
    {
        for (int i = 0; i < items; i++) state.Catalogue.Add("i" + i.ToString("D3", CultureInfo.InvariantCulture));
        var rng = new Random(seed);
        for (int u = 0; u < users; u++)
        {
            var h = new UserHistory { UserId = "u" + u.ToString("D3", CultureInfo.InvariantCulture) };
            var picked = new HashSet<int>();
            while (picked.Count < Math.Min(historyLength, items))
            {
                // Skewed towards low indices, so item popularity has a head.
                int item = (int)(items * Math.Pow(rng.NextDouble(), 2));
                if (picked.Add(item))
                    h.Interactions.Add(new Interaction { ItemId = state.Catalogue[item], TimestampMs = 1_000_000 + u * 1000 + picked.Count * 10 });
            }
            state.PublicHistories.Add(h);
        }
        return state;
    }
}
