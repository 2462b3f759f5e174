using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using PoisonRange.Data;
using PoisonRange.Platform.Stores;

namespace PoisonRange.Platform.Engine;

// The attacker-facing Platform API: every rule of a call, the limits first.
public sealed partial class PlatformEngine
{
    /// <summary>Registers an account for the caller's key (the same idempotency key returns the same account).</summary>
    public async Task<string> RegisterAsync(CallerContext caller, string? idempotencyKey, CancellationToken ct)
    {
        var limits = caller.Runtime.Scenario.Limits;
        var outcome = await _store.RegisterAsync(
            caller.Key,
            string.IsNullOrEmpty(idempotencyKey) ? null : idempotencyKey,
            new RegistrationLimits(limits.AccountsPerKey, limits.RegistrationsPerWindow, limits.RegistrationWindowMs),
            NowMs,
            ct);
        switch (outcome)
        {
            case RegisterOutcome.Registered r:
                _metrics.Admitted(LimitNames.RegistrationsTotal, LimitNames.RegistrationsWindow);
                return r.AccountId;
            case RegisterOutcome.RegisterRejected x:
                throw LimitReached(x.Decision, "registration");
            default:
                throw new InvalidOperationException($"Unexpected outcome {outcome}.");
        }
    }

    /// <summary>
    /// Records a batch for one of the caller's accounts, all or nothing, under the lifetime actions
    /// limit. Every interaction is checked (item in the catalogue, rating within the scenario's
    /// range, timestamp not negative) before anything is written.
    /// </summary>
    public async Task<RecordResult> RecordAsync(CallerContext caller, string accountId, IReadOnlyList<ProposedInteraction> interactions, string? idempotencyKey, CancellationToken ct)
    {
        var runtime = caller.Runtime;
        var limits = runtime.Scenario.Limits;
        if (interactions.Count == 0) throw new RefusedException(Refusal.InvalidArgument, "interactions is empty.");
        await RequireOwnedAccountAsync(caller, accountId, ct);

        var now = NowMs;
        var batch = new StoredInteraction[interactions.Count];
        for (int i = 0; i < batch.Length; i++)
        {
            var x = interactions[i];
            if (!runtime.Base.TryGetItem(x.ItemId, out int item))
                throw new RefusedException(Refusal.NotFound, $"interactions[{i}]: item '{x.ItemId}' is not in the catalogue.");
            if (x.Rating is { } rating && (float.IsNaN(rating) || rating < limits.MinRating || rating > limits.MaxRating))
                throw new RefusedException(Refusal.InvalidArgument,
                    $"interactions[{i}]: rating {rating.ToString(CultureInfo.InvariantCulture)} is outside {limits.MinRating.ToString(CultureInfo.InvariantCulture)}..{limits.MaxRating.ToString(CultureInfo.InvariantCulture)}.");
            if (x.TimestampMs < 0) throw new RefusedException(Refusal.InvalidArgument, $"interactions[{i}]: timestamp_ms must not be negative.");
            batch[i] = new StoredInteraction(item, x.Rating, x.TimestampMs == 0 ? now : x.TimestampMs);
        }

        var outcome = await _store.AppendInteractionsAsync(
            accountId, batch, limits.ActionsPerAccount < 0 ? int.MaxValue : limits.ActionsPerAccount,
            string.IsNullOrEmpty(idempotencyKey) ? null : idempotencyKey,
            ct);
        switch (outcome)
        {
            case AppendOutcome.Appended a:
                _metrics.Admitted(LimitNames.Actions);
                return new RecordResult(a.Accepted, a.RemainingActions, a.Replayed);
            case AppendOutcome.AppendRejected r:
                _metrics.Refused(LimitNames.Actions);
                throw new LimitReachedException(LimitNames.Actions,
                    $"Account {accountId} may record {r.RemainingActions} more action(s); the batch has {batch.Length}. Nothing was recorded.",
                    retryAfterMs: null);
            case AppendOutcome.AccountMissing:
                throw new RefusedException(Refusal.NotFound, $"Account '{accountId}' does not exist.");
            default:
                throw new InvalidOperationException($"Unexpected outcome {outcome}.");
        }
    }

    /// <summary>
    /// The top-<paramref name="k"/> item ids for one of the caller's accounts, its own items
    /// excluded. A k outside 1..k_max or a foreign account is refused before a query is spent.
    /// </summary>
    public async Task<IReadOnlyList<string>> RecommendAsync(CallerContext caller, string accountId, int k, CancellationToken ct)
    {
        var runtime = caller.Runtime;
        var limits = runtime.Scenario.Limits;
        if (k < 1 || k > limits.KMax)
            throw new RefusedException(Refusal.InvalidArgument, $"k must be within 1..{limits.KMax}, got {k}.");
        await RequireOwnedAccountAsync(caller, accountId, ct);

        var decision = await _store.TryConsumeQueryAsync(
            caller.Key, accountId,
            new QueryLimits(limits.QueriesPerAccountPerWindow, limits.QueryWindowMs, limits.QueryBudgetPerKey),
            NowMs, ct);
        if (decision is LimitDecision.Rejected rejected) throw LimitReached(rejected, "query");
        _metrics.Admitted(LimitNames.AccountWindow, LimitNames.KeyBudget);

        var interactions = await _store.GetInteractionsAsync(accountId, ct);
        var history = new int[interactions.Count];
        for (int i = 0; i < history.Length; i++) history[i] = interactions[i].Item;
        var top = RecommendForAccount(runtime, accountId, history, k);
        var ids = new string[top.Length];
        for (int i = 0; i < top.Length; i++) ids[i] = runtime.Base.ItemIds[top[i]];
        return ids;
    }

    /// <summary>One page of the catalogue (no limit: the catalogue is public).</summary>
    public CataloguePage ListItems(CallerContext caller, int pageSize, string pageToken)
    {
        var runtime = caller.Runtime;
        var catalogue = runtime.Base.ItemIds;
        int size = PageSize(pageSize, runtime);
        int offset = ParsePageToken(pageToken, catalogue.Count);
        int end = Math.Min(catalogue.Count, offset + size);
        var ids = new string[end - offset];
        for (int i = offset; i < end; i++) ids[i - offset] = catalogue[i];
        return new CataloguePage(ids, catalogue.Count, NextPageToken(end, catalogue.Count));
    }

    /// <summary>
    /// The public data under the knowledge policy, page after page from <paramref name="pageToken"/>;
    /// each page spends one of the key's crawl pages (an empty view still yields one page).
    /// </summary>
    public async IAsyncEnumerable<PublicDataPage> CrawlAsync(CallerContext caller, int pageSize, string pageToken, [EnumeratorCancellation] CancellationToken ct)
    {
        var runtime = caller.Runtime;
        var view = runtime.Public;
        int size = PageSize(pageSize, runtime);
        int offset = ParsePageToken(pageToken, view.UserCount);
        var limits = runtime.Scenario.Limits;
        while (offset < view.UserCount || (offset == 0 && view.UserCount == 0))
        {
            var decision = await _store.TryConsumeCrawlPageAsync(caller.Key, limits.CrawlPagesPerKey < 0 ? 0 : limits.CrawlPagesPerKey, ct);
            if (decision is LimitDecision.Rejected rejected) throw LimitReached(rejected, "crawl page");
            _metrics.Admitted(LimitNames.CrawlPages);

            int end = Math.Min(view.UserCount, offset + size);
            yield return new PublicDataPage(view, offset, end, NextPageToken(end, view.UserCount));
            offset = end;
            if (end >= view.UserCount) break;
        }
    }

    /// <summary>What the caller's key has used, next to the scenario's limits.</summary>
    public async Task<QuotaStatus> GetQuotaAsync(CallerContext caller, CancellationToken ct)
    {
        var limits = caller.Runtime.Scenario.Limits;
        var usage = await _store.GetQuotaUsageAsync(caller.Key, ct);
        return new QuotaStatus(
            usage.Accounts, limits.AccountsPerKey,
            usage.QueriesUsed, limits.QueryBudgetPerKey,
            usage.CrawlPagesUsed, limits.CrawlPagesPerKey,
            limits.ActionsPerAccount, limits.KMax);
    }

    /// <summary>Top-k items for an account's history, seen items excluded.</summary>
    private static int[] RecommendForAccount(ScenarioRuntime runtime, string accountId, ReadOnlySpan<int> history, int k)
    {
        var serving = runtime.Serving;
        int items = runtime.Base.ItemCount;
        if (!serving.AccountUsers.TryGetValue(accountId, out int user))
        {
            // An account the model has not trained on: fold its history in once per history
            // length and model, as a platform caches a new user's vector until the next retrain.
            if (serving.FoldIns.TryGetValue(accountId, out var cached) && cached.HistoryLength == history.Length)
                return TopK.Select(cached.Scores, k, history);
            var folded = new float[items];
            serving.Model.ScoreHistory(history, folded);
            if (serving.FoldIns.Count < ServingModel.MaxCachedFoldIns)
                serving.FoldIns[accountId] = new FoldInScores(history.Length, folded);
            return TopK.Select(folded, k, history);
        }
        var scores = ArrayPool<float>.Shared.Rent(items);
        try
        {
            var span = scores.AsSpan(0, items);
            serving.Model.ScoreUser(user, span);
            return TopK.Select(span, k, history);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    private async Task RequireOwnedAccountAsync(CallerContext caller, string accountId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(accountId)) throw new RefusedException(Refusal.InvalidArgument, "account_id is empty.");
        var account = await _store.GetAccountAsync(accountId, ct)
                      ?? throw new RefusedException(Refusal.NotFound, $"Account '{accountId}' does not exist.");
        if (!string.Equals(account.OwnerKey, caller.Key, StringComparison.Ordinal))
            throw new RefusedException(Refusal.PermissionDenied, $"Account '{accountId}' belongs to another key.");
    }

    private LimitReachedException LimitReached(LimitDecision.Rejected rejected, string what)
    {
        _metrics.Refused(rejected.Limit);
        var when = rejected.RetryAfterMs is { } ms ? $"retry after {ms} ms" : "this limit does not reset";
        return new LimitReachedException(rejected.Limit, $"{what} limit '{rejected.Limit}' reached; {when}.", rejected.RetryAfterMs);
    }

    private static int PageSize(int requested, ScenarioRuntime runtime)
    {
        int max = runtime.Scenario.Limits.MaxPageSize;
        if (requested < 0) throw new RefusedException(Refusal.InvalidArgument, $"page_size must not be negative, got {requested}.");
        return requested == 0 ? Math.Min(100, max) : Math.Min(requested, max);
    }

    private static int ParsePageToken(string token, int count)
    {
        if (string.IsNullOrEmpty(token)) return 0;
        if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int offset) || offset > count)
            throw new RefusedException(Refusal.InvalidArgument, $"page_token '{token}' is not one this platform issued.");
        return offset;
    }

    private static string NextPageToken(int end, int count) => end < count ? end.ToString(CultureInfo.InvariantCulture) : "";
}
