using Grpc.Core;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Platform.Engine;

namespace PoisonRange.Platform.Services;

/// <summary>
/// The attacker-facing black box. Each handler maps the request in, calls one engine method and
/// maps the result out; the engine's refusals become status codes in <see cref="RefusalInterceptor"/>.
/// </summary>
internal sealed class PlatformApiService(PlatformEngine engine) : Contracts.Platform.V1.Platform.PlatformBase
{
    public override async Task<RegisterReply> Register(RegisterRequest request, ServerCallContext context) =>
        new() { AccountId = await engine.RegisterAsync(context.Caller(), request.IdempotencyKey, context.CancellationToken) };

    public override async Task<RecordReply> Record(RecordRequest request, ServerCallContext context)
    {
        var interactions = new ProposedInteraction[request.Interactions.Count];
        for (int i = 0; i < interactions.Length; i++)
        {
            var x = request.Interactions[i];
            interactions[i] = new ProposedInteraction(x.ItemId, x.HasRating ? x.Rating : null, x.TimestampMs);
        }
        var result = await engine.RecordAsync(context.Caller(), request.AccountId, interactions, request.IdempotencyKey, context.CancellationToken);
        return new RecordReply { Accepted = result.Accepted, RemainingActions = result.RemainingActions, Replayed = result.Replayed };
    }

    public override async Task<RecommendReply> Recommend(RecommendRequest request, ServerCallContext context)
    {
        var items = await engine.RecommendAsync(context.Caller(), request.AccountId, request.K, context.CancellationToken);
        return new RecommendReply { ItemIds = { items } };
    }

    public override Task<ListItemsReply> ListItems(ListItemsRequest request, ServerCallContext context)
    {
        var page = engine.ListItems(context.Caller(), request.PageSize, request.PageToken);
        var reply = new ListItemsReply { TotalItems = page.TotalItems, NextPageToken = page.NextPageToken };
        foreach (var id in page.ItemIds) reply.Items.Add(new Item { ItemId = id, Title = id });
        return Task.FromResult(reply);
    }

    public override async Task Crawl(CrawlRequest request, IServerStreamWriter<CrawlPage> responseStream, ServerCallContext context)
    {
        await foreach (var page in engine.CrawlAsync(context.Caller(), request.PageSize, request.PageToken, context.CancellationToken))
            await responseStream.WriteAsync(ToCrawlPage(page), context.CancellationToken);
    }

    public override async Task<QuotaReply> GetQuota(GetQuotaRequest request, ServerCallContext context)
    {
        var quota = await engine.GetQuotaAsync(context.Caller(), context.CancellationToken);
        return new QuotaReply
        {
            Accounts = quota.Accounts,
            AccountsLimit = quota.AccountsLimit,
            QueriesUsed = quota.QueriesUsed,
            QueryBudget = quota.QueryBudget,
            CrawlPagesUsed = quota.CrawlPagesUsed,
            CrawlPagesLimit = quota.CrawlPagesLimit,
            MaxActionsPerAccount = quota.MaxActionsPerAccount,
            KMax = quota.KMax,
        };
    }

    private static CrawlPage ToCrawlPage(PublicDataPage page)
    {
        var view = page.View;
        var reply = new CrawlPage { TotalUsers = view.UserCount, NextPageToken = page.NextPageToken };
        for (int u = page.From; u < page.To; u++)
        {
            var history = new UserHistory { UserId = view.UserIds[u] };
            var seq = view.Sequences[u];
            for (int i = 0; i < seq.Length; i++)
            {
                var x = new Interaction { ItemId = view.ItemIds[seq[i]], TimestampMs = view.Timestamps?[u][i] ?? 0 };
                if (view.Ratings is not null) x.Rating = view.Ratings[u][i];
                history.Interactions.Add(x);
            }
            reply.Users.Add(history);
        }
        return reply;
    }
}
