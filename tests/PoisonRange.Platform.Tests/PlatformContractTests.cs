using Grpc.Core.Interceptors;
using Grpc.Core;
using PoisonRange.Contracts.Platform.V1;
using Xunit;

namespace PoisonRange.Platform.Tests;

/// <summary>Every error code of the public contract, driven over loopback gRPC with real clients.</summary>
public sealed class PlatformContractTests : IAsyncLifetime
{
    private PlatformHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await PlatformHarness.StartAsync();
        await _h.Referee.ConfigureAsync(PlatformHarness.SmallScenario());
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static async Task<RpcException> Fails(Func<Task> call, StatusCode code)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, ex.StatusCode);
        return ex;
    }

    [Fact]
    public async Task Missing_or_unknown_key_is_unauthenticated()
    {
        await Fails(async () => await _h.RawPlatform.RegisterAsync(new RegisterRequest()), StatusCode.Unauthenticated);
        await Fails(async () => await _h.Client("nobody").RegisterAsync(new RegisterRequest()), StatusCode.Unauthenticated);
    }

    [Fact]
    public async Task Referee_requires_the_operator_token()
    {
        await Fails(async () => await _h.RawReferee.StatusAsync(new StatusRequest()), StatusCode.Unauthenticated);
        var status = await _h.Referee.StatusAsync(new StatusRequest());
        Assert.Equal("test", status.ScenarioName);
        Assert.Equal("memory", status.Store);
    }

    [Fact]
    public async Task Referee_is_not_served_on_the_platform_port()
    {
        var wrongPort = new Referee.RefereeClient(Grpc.Net.Client.GrpcChannel.ForAddress(_h.Running.PlatformAddress)
            .Intercept(m => { m.Add("authorization", $"Bearer {PlatformHarness.OperatorToken}"); return m; }));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await wrongPort.StatusAsync(new StatusRequest()));
        Assert.NotEqual(StatusCode.OK, ex.StatusCode);
    }

    [Fact]
    public async Task Register_record_recommend_roundtrip()
    {
        var items = await _h.ItemsAsync();
        var account = (await _h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
        var record = new RecordRequest { AccountId = account };
        record.Interactions.Add(new Interaction { ItemId = items[0], TimestampMs = 1000 });
        record.Interactions.Add(new Interaction { ItemId = items[1], TimestampMs = 2000, Rating = 4 });
        var reply = await _h.Attacker.RecordAsync(record);
        Assert.Equal(2, reply.Accepted);
        Assert.Equal(18, reply.RemainingActions);

        var recs = await _h.Attacker.RecommendAsync(new RecommendRequest { AccountId = account, K = 10 });
        Assert.Equal(10, recs.ItemIds.Count);
        Assert.DoesNotContain(items[0], recs.ItemIds);
        Assert.DoesNotContain(items[1], recs.ItemIds);
        Assert.Equal(recs.ItemIds.Count, recs.ItemIds.Distinct().Count());
    }

    [Fact]
    public async Task Recommendations_follow_the_history_before_any_retrain()
    {
        var items = await _h.ItemsAsync();
        var account = (await _h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
        await _h.Attacker.RecordAsync(new RecordRequest { AccountId = account, Interactions = { new Interaction { ItemId = items[5] } } });
        var first = await _h.Attacker.RecommendAsync(new RecommendRequest { AccountId = account, K = 10 });
        var again = await _h.Attacker.RecommendAsync(new RecommendRequest { AccountId = account, K = 10 });
        Assert.Equal(first.ItemIds, again.ItemIds);

        // Recording the top recommendation changes the fold-in history: it must not come back.
        var chosen = first.ItemIds[0];
        await _h.Attacker.RecordAsync(new RecordRequest { AccountId = account, Interactions = { new Interaction { ItemId = chosen } } });
        var after = await _h.Attacker.RecommendAsync(new RecommendRequest { AccountId = account, K = 10 });
        Assert.DoesNotContain(chosen, after.ItemIds);
        Assert.DoesNotContain(items[5], after.ItemIds);
        Assert.Equal(10, after.ItemIds.Count);
    }

    [Fact]
    public async Task Record_errors_follow_the_contract_and_write_nothing()
    {
        var items = await _h.ItemsAsync();
        var account = (await _h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;

        await Fails(async () => await _h.Attacker.RecordAsync(new RecordRequest { AccountId = account }), StatusCode.InvalidArgument);

        var unknown = new RecordRequest { AccountId = account };
        unknown.Interactions.Add(new Interaction { ItemId = items[0] });
        unknown.Interactions.Add(new Interaction { ItemId = "no-such-item" });
        await Fails(async () => await _h.Attacker.RecordAsync(unknown), StatusCode.NotFound);

        var badRating = new RecordRequest { AccountId = account };
        badRating.Interactions.Add(new Interaction { ItemId = items[0], Rating = 9 });
        await Fails(async () => await _h.Attacker.RecordAsync(badRating), StatusCode.InvalidArgument);

        var good = new RecordRequest { AccountId = account };
        good.Interactions.Add(new Interaction { ItemId = items[0] });
        await Fails(async () => await _h.Other.RecordAsync(good), StatusCode.PermissionDenied);
        await Fails(async () => await _h.Attacker.RecordAsync(new RecordRequest { AccountId = "acct-missing", Interactions = { good.Interactions } }), StatusCode.NotFound);

        // Nothing of the failed batches was recorded.
        var accounts = await _h.Referee.ListAccountsAsync(new ListAccountsRequest { OwnerKey = PlatformHarness.AttackerKey });
        Assert.Equal(0, accounts.Accounts.Single(a => a.AccountId == account).Actions);
    }

    [Fact]
    public async Task Actions_per_account_is_all_or_nothing_and_never_resets()
    {
        var items = await _h.ItemsAsync();
        var account = (await _h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
        var first = new RecordRequest { AccountId = account };
        for (int i = 0; i < 15; i++) first.Interactions.Add(new Interaction { ItemId = items[i] });
        Assert.Equal(5, (await _h.Attacker.RecordAsync(first)).RemainingActions);

        var tooMany = new RecordRequest { AccountId = account };
        for (int i = 15; i < 21; i++) tooMany.Interactions.Add(new Interaction { ItemId = items[i] });
        var ex = await Fails(async () => await _h.Attacker.RecordAsync(tooMany), StatusCode.ResourceExhausted);
        Assert.Null(ex.Trailers.GetValue("retry-after-ms"));

        var exact = new RecordRequest { AccountId = account };
        for (int i = 15; i < 20; i++) exact.Interactions.Add(new Interaction { ItemId = items[i] });
        Assert.Equal(0, (await _h.Attacker.RecordAsync(exact)).RemainingActions);
    }

    [Fact]
    public async Task Record_with_an_idempotency_key_counts_once()
    {
        var items = await _h.ItemsAsync();
        var account = (await _h.Attacker.RegisterAsync(new RegisterRequest { IdempotencyKey = "reg-1" })).AccountId;
        Assert.Equal(account, (await _h.Attacker.RegisterAsync(new RegisterRequest { IdempotencyKey = "reg-1" })).AccountId);
        var batch = new RecordRequest { AccountId = account, IdempotencyKey = "batch-1" };
        batch.Interactions.Add(new Interaction { ItemId = items[3] });
        var first = await _h.Attacker.RecordAsync(batch);
        var again = await _h.Attacker.RecordAsync(batch);
        Assert.False(first.Replayed);
        Assert.True(again.Replayed);
        var accounts = await _h.Referee.ListAccountsAsync(new ListAccountsRequest());
        Assert.Equal(1, accounts.Accounts.Single(a => a.AccountId == account).Actions);
    }

    [Fact]
    public async Task Recommend_rejects_k_outside_range_without_spending_a_query()
    {
        var account = (await _h.Attacker.RegisterAsync(new RegisterRequest())).AccountId;
        var before = await _h.Attacker.GetQuotaAsync(new GetQuotaRequest());
        await Fails(async () => await _h.Attacker.RecommendAsync(new RecommendRequest { AccountId = account, K = 0 }), StatusCode.InvalidArgument);
        await Fails(async () => await _h.Attacker.RecommendAsync(new RecommendRequest { AccountId = account, K = 51 }), StatusCode.InvalidArgument);
        await Fails(async () => await _h.Other.RecommendAsync(new RecommendRequest { AccountId = account, K = 5 }), StatusCode.PermissionDenied);
        var after = await _h.Attacker.GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal(before.QueriesUsed, after.QueriesUsed);
    }

    [Fact]
    public async Task Crawl_streams_every_public_user_in_pages()
    {
        var call = _h.Attacker.Crawl(new CrawlRequest { PageSize = 64 });
        var users = new List<UserHistory>();
        int pages = 0;
        await foreach (var page in call.ResponseStream.ReadAllAsync())
        {
            pages++;
            users.AddRange(page.Users);
        }
        Assert.Equal(200, users.Count);
        Assert.Equal(4, pages);
        Assert.All(users, u => Assert.NotEmpty(u.Interactions));
        var quota = await _h.Attacker.GetQuotaAsync(new GetQuotaRequest());
        Assert.Equal(4, quota.CrawlPagesUsed);
    }

    [Fact]
    public async Task Catalogue_pages_cover_every_item_once()
    {
        var seen = new List<string>();
        string token = "";
        do
        {
            var reply = await _h.Attacker.ListItemsAsync(new ListItemsRequest { PageSize = 50, PageToken = token });
            seen.AddRange(reply.Items.Select(i => i.ItemId));
            token = reply.NextPageToken;
        } while (token != "");
        Assert.Equal(120, seen.Count);
        Assert.Equal(120, seen.Distinct().Count());
        await Fails(async () => await _h.Attacker.ListItemsAsync(new ListItemsRequest { PageToken = "garbage" }), StatusCode.InvalidArgument);
    }

    [Fact]
    public async Task Configure_rejects_a_bad_scenario_with_invalid_argument()
    {
        var bad = PlatformHarness.SmallScenario();
        bad.Victim.Kind = "no-such-model";
        var ex = await Fails(async () => await _h.Referee.ConfigureAsync(bad), StatusCode.InvalidArgument);
        Assert.Contains("no-such-model", ex.Status.Detail);
        var missing = PlatformHarness.SmallScenario();
        missing.Dataset.Source = "/nonexistent/data.tsv";
        await Fails(async () => await _h.Referee.ConfigureAsync(missing), StatusCode.InvalidArgument);
        // The running scenario is untouched by the rejected ones.
        var status = await _h.Referee.StatusAsync(new StatusRequest());
        Assert.Equal("bprmf", status.Victim);
    }

    [Fact]
    public async Task Evaluate_reports_rates_and_rejects_unknown_ids()
    {
        var items = await _h.ItemsAsync();
        var users = new List<string>();
        await foreach (var page in _h.Attacker.Crawl(new CrawlRequest { PageSize = 100 }).ResponseStream.ReadAllAsync())
            users.AddRange(page.Users.Select(u => u.UserId));
        var request = new EvaluateRequest { K = 10 };
        request.TargetItems.Add(items.Take(60));
        request.TargetUsers.Add(users.Take(20));
        var reply = await _h.Referee.EvaluateAsync(request);
        Assert.InRange(reply.DisplayRate, 0.0, 1.0);
        Assert.True(reply.DisplayRate > 0, "half of the catalogue as targets must show up for someone");
        Assert.Equal(60, reply.Items.Count);
        Assert.Equal(200, reply.NormalUsers);

        var unknown = new EvaluateRequest { K = 10, TargetUsers = { users[0] } };
        unknown.TargetItems.Add("no-such-item");
        await Fails(async () => await _h.Referee.EvaluateAsync(unknown), StatusCode.NotFound);
        var unknownUser = new EvaluateRequest { K = 10, TargetItems = { items[0] }, TargetUsers = { "no-such-user" } };
        await Fails(async () => await _h.Referee.EvaluateAsync(unknownUser), StatusCode.NotFound);
        var attackerAsTarget = new EvaluateRequest { K = 10 };
        attackerAsTarget.TargetItems.Add(items[0]);
        attackerAsTarget.TargetUsers.Add((await _h.Attacker.RegisterAsync(new RegisterRequest())).AccountId);
        await Fails(async () => await _h.Referee.EvaluateAsync(attackerAsTarget), StatusCode.NotFound);
    }
}
