using System.Globalization;
using Grpc.Core;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Platform.Engine;
using PoisonRange.Platform.Stores;

namespace PoisonRange.Platform.Services;

/// <summary>The attacker-facing black box. Handlers map in, call the engine and the store, map out.</summary>
internal sealed class PlatformApiService(PlatformEngine engine) : Contracts.Platform.V1.Platform.PlatformBase
{
    private static string Key(ServerCallContext context) => (string)context.UserState[AttackerKeyInterceptor.KeySlot];
    private static ScenarioRuntime Runtime(ServerCallContext context) => (ScenarioRuntime)context.UserState[AttackerKeyInterceptor.RuntimeSlot];

    public override async Task<RegisterReply> Register(RegisterRequest request, ServerCallContext context)
    {
        var limits = Runtime(context).Scenario.Limits;
        var outcome = await engine.Store.RegisterAsync(
            Key(context),
            string.IsNullOrEmpty(request.IdempotencyKey) ? null : request.IdempotencyKey,
            new RegistrationLimits(limits.AccountsPerKey, limits.RegistrationsPerWindow, limits.RegistrationWindowMs),
            engine.NowMs,
            context.CancellationToken);
        return outcome switch
        {
            RegisterOutcome.Registered r => new RegisterReply { AccountId = r.AccountId },
            RegisterOutcome.RegisterRejected x => Exhausted<RegisterReply>(x.Decision, "registration"),
            _ => throw new InvalidOperationException($"Unexpected outcome {outcome}."),
        };
    }

    public override async Task<RecordReply> Record(RecordRequest request, ServerCallContext context)
    {
        var runtime = Runtime(context);
        var limits = runtime.Scenario.Limits;
        if (request.Interactions.Count == 0) RpcErrors.InvalidArgument("interactions is empty.");
        await OwnedAccountAsync(request.AccountId, context);

        var now = engine.NowMs;
        var batch = new StoredInteraction[request.Interactions.Count];
        for (int i = 0; i < batch.Length; i++)
        {
            var x = request.Interactions[i];
            if (!runtime.Base.TryGetItem(x.ItemId, out int item))
                RpcErrors.NotFound($"interactions[{i}]: item '{x.ItemId}' is not in the catalogue.");
            float? rating = null;
            if (x.HasRating)
            {
                if (float.IsNaN(x.Rating) || x.Rating < limits.MinRating || x.Rating > limits.MaxRating)
                    RpcErrors.InvalidArgument($"interactions[{i}]: rating {x.Rating.ToString(CultureInfo.InvariantCulture)} is outside {limits.MinRating.ToString(CultureInfo.InvariantCulture)}..{limits.MaxRating.ToString(CultureInfo.InvariantCulture)}.");
                rating = x.Rating;
            }
            if (x.TimestampMs < 0) RpcErrors.InvalidArgument($"interactions[{i}]: timestamp_ms must not be negative.");
            batch[i] = new StoredInteraction(item, rating, x.TimestampMs == 0 ? now : x.TimestampMs);
        }

        var outcome = await engine.Store.AppendInteractionsAsync(
            request.AccountId, batch, limits.ActionsPerAccount < 0 ? int.MaxValue : limits.ActionsPerAccount,
            string.IsNullOrEmpty(request.IdempotencyKey) ? null : request.IdempotencyKey,
            context.CancellationToken);
        switch (outcome)
        {
            case AppendOutcome.Appended a:
                return new RecordReply { Accepted = a.Accepted, RemainingActions = a.RemainingActions, Replayed = a.Replayed };
            case AppendOutcome.AppendRejected r:
                RpcErrors.ResourceExhausted("actions",
                    $"Account {request.AccountId} may record {r.RemainingActions} more action(s); the batch has {batch.Length}. Nothing was recorded.",
                    retryAfterMs: null);
                break;
            case AppendOutcome.AccountMissing:
                RpcErrors.NotFound($"Account '{request.AccountId}' does not exist.");
                break;
        }
        throw new InvalidOperationException($"Unexpected outcome {outcome}.");
    }

    public override async Task<RecommendReply> Recommend(RecommendRequest request, ServerCallContext context)
    {
        var runtime = Runtime(context);
        var limits = runtime.Scenario.Limits;
        if (request.K < 1 || request.K > limits.KMax)
            RpcErrors.InvalidArgument($"k must be within 1..{limits.KMax}, got {request.K}.");
        await OwnedAccountAsync(request.AccountId, context);

        var decision = await engine.Store.TryConsumeQueryAsync(
            Key(context), request.AccountId,
            new QueryLimits(limits.QueriesPerAccountPerWindow, limits.QueryWindowMs, limits.QueryBudgetPerKey),
            engine.NowMs, context.CancellationToken);
        if (decision is LimitDecision.Rejected rejected) return Exhausted<RecommendReply>(rejected, "query");

        var interactions = await engine.Store.GetInteractionsAsync(request.AccountId, context.CancellationToken);
        var history = new int[interactions.Count];
        for (int i = 0; i < history.Length; i++) history[i] = interactions[i].Item;
        var top = engine.RecommendForAccount(runtime, request.AccountId, history, request.K);

        var reply = new RecommendReply();
        foreach (var item in top) reply.ItemIds.Add(runtime.Base.ItemIds[item]);
        return reply;
    }

    public override Task<ListItemsReply> ListItems(ListItemsRequest request, ServerCallContext context)
    {
        var runtime = Runtime(context);
        var catalogue = runtime.Base.ItemIds;
        int size = PageSize(request.PageSize, runtime);
        int offset = ParseToken(request.PageToken, catalogue.Count);
        var reply = new ListItemsReply { TotalItems = catalogue.Count };
        int end = Math.Min(catalogue.Count, offset + size);
        for (int i = offset; i < end; i++) reply.Items.Add(new Item { ItemId = catalogue[i], Title = catalogue[i] });
        reply.NextPageToken = end < catalogue.Count ? end.ToString(CultureInfo.InvariantCulture) : "";
        return Task.FromResult(reply);
    }

    public override async Task Crawl(CrawlRequest request, IServerStreamWriter<CrawlPage> responseStream, ServerCallContext context)
    {
        var runtime = Runtime(context);
        var view = runtime.Public;
        int size = PageSize(request.PageSize, runtime);
        int offset = ParseToken(request.PageToken, view.UserCount);
        var limits = runtime.Scenario.Limits;
        while (offset < view.UserCount || (offset == 0 && view.UserCount == 0))
        {
            var decision = await engine.Store.TryConsumeCrawlPageAsync(Key(context), limits.CrawlPagesPerKey < 0 ? 0 : limits.CrawlPagesPerKey, context.CancellationToken);
            if (decision is LimitDecision.Rejected rejected)
                Exhausted<CrawlPage>(rejected, "crawl page");

            int end = Math.Min(view.UserCount, offset + size);
            var page = new CrawlPage { TotalUsers = view.UserCount, NextPageToken = end < view.UserCount ? end.ToString(CultureInfo.InvariantCulture) : "" };
            for (int u = offset; u < end; u++)
            {
                var history = new UserHistory { UserId = view.UserIds[u] };
                var seq = view.Sequences[u];
                for (int i = 0; i < seq.Length; i++)
                {
                    var x = new Interaction { ItemId = view.ItemIds[seq[i]], TimestampMs = view.Timestamps?[u][i] ?? 0 };
                    if (view.Ratings is not null) x.Rating = view.Ratings[u][i];
                    history.Interactions.Add(x);
                }
                page.Users.Add(history);
            }
            await responseStream.WriteAsync(page, context.CancellationToken);
            offset = end;
            if (end >= view.UserCount) break;
        }
    }

    public override async Task<QuotaReply> GetQuota(GetQuotaRequest request, ServerCallContext context)
    {
        var limits = Runtime(context).Scenario.Limits;
        var usage = await engine.Store.GetQuotaUsageAsync(Key(context), context.CancellationToken);
        return new QuotaReply
        {
            Accounts = usage.Accounts,
            AccountsLimit = limits.AccountsPerKey,
            QueriesUsed = usage.QueriesUsed,
            QueryBudget = limits.QueryBudgetPerKey,
            CrawlPagesUsed = usage.CrawlPagesUsed,
            CrawlPagesLimit = limits.CrawlPagesPerKey,
            MaxActionsPerAccount = limits.ActionsPerAccount,
            KMax = limits.KMax,
        };
    }

    private async Task OwnedAccountAsync(string accountId, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(accountId)) RpcErrors.InvalidArgument("account_id is empty.");
        var account = await engine.Store.GetAccountAsync(accountId, context.CancellationToken);
        if (account is null) RpcErrors.NotFound($"Account '{accountId}' does not exist.");
        if (!string.Equals(account.OwnerKey, Key(context), StringComparison.Ordinal))
            RpcErrors.PermissionDenied($"Account '{accountId}' belongs to another key.");
    }

    private static int PageSize(int requested, ScenarioRuntime runtime)
    {
        int max = runtime.Scenario.Limits.MaxPageSize;
        if (requested < 0) RpcErrors.InvalidArgument($"page_size must not be negative, got {requested}.");
        return requested == 0 ? Math.Min(100, max) : Math.Min(requested, max);
    }

    private static int ParseToken(string token, int count)
    {
        if (string.IsNullOrEmpty(token)) return 0;
        if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int offset) || offset > count)
            RpcErrors.InvalidArgument($"page_token '{token}' is not one this platform issued.");
        return offset;
    }

    private static T Exhausted<T>(LimitDecision.Rejected rejected, string what)
    {
        var when = rejected.RetryAfterMs is { } ms ? $"retry after {ms} ms" : "this limit does not reset";
        RpcErrors.ResourceExhausted(rejected.Limit, $"{what} limit '{rejected.Limit}' reached; {when}.", rejected.RetryAfterMs);
        return default!;
    }
}
