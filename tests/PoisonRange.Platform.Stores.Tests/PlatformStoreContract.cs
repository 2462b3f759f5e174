using System.Text.RegularExpressions;

namespace PoisonRange.Platform.Stores.Tests;

/// <summary>
/// What every <see cref="IPlatformStore"/> must do. Each store runs the same tests; each test
/// gets a fresh, empty store.
/// </summary>
public abstract partial class PlatformStoreContract
{
    protected const long T0 = 1_700_006_400_000; // a multiple of one hour, so a window boundary for every window used here

    /// <summary>A new store that shares nothing with any other test's store.</summary>
    protected abstract Task<IPlatformStore> NewStoreAsync();

    [GeneratedRegex("^acct-[0-9a-f]{16}$")]
    private static partial Regex AccountIdShape();

    private static string Registered(RegisterOutcome outcome, bool replayed = false)
    {
        var registered = Assert.IsType<RegisterOutcome.Registered>(outcome);
        Assert.Equal(replayed, registered.Replayed);
        return registered.AccountId;
    }

    /// <summary>
    /// Runs <paramref name="calls"/> calls on <paramref name="workers"/> dedicated threads released
    /// together, so even a store that answers synchronously sees real contention.
    /// </summary>
    protected static async Task HammerAsync(int workers, int calls, Func<int, Task> call)
    {
        var next = -1;
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Factory.StartNew(async () =>
        {
            start.Wait();
            int index;
            while ((index = Interlocked.Increment(ref next)) < calls) await call(index);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToArray();
        start.Set();
        await Task.WhenAll(tasks);
    }

    private static StoredInteraction[] Batch(int count, int firstItem = 0) =>
        Enumerable.Range(firstItem, count)
            .Select(i => new StoredInteraction(i, i % 2 == 0 ? null : 0.5f + i, T0 + i))
            .ToArray();

    [Fact]
    public async Task Fresh_store_is_empty()
    {
        var store = await NewStoreAsync();
        Assert.Null(await store.GetScenarioAsync());
        Assert.Empty(await store.ListAccountsAsync(null));
        Assert.Empty(await store.GetAllInteractionsAsync());
        Assert.Equal(0, await store.GetInteractionCountAsync());
        Assert.Equal(new QuotaUsage(0, 0, 0), await store.GetQuotaUsageAsync("nobody"));
        Assert.Null(await store.LoadModelAsync());
        Assert.Null(await store.GetAccountAsync("acct-0000000000000000"));
        Assert.Empty(await store.GetInteractionsAsync("acct-0000000000000000"));
    }

    [Fact]
    public async Task Registration_total_limit_never_resets_and_is_per_key()
    {
        var store = await NewStoreAsync();
        var limits = new RegistrationLimits(AccountsPerKey: 3, RegistrationsPerWindow: 0, WindowMs: 0);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(Registered(await store.RegisterAsync("k1", null, limits, T0 + i)));

        Assert.All(ids, id => Assert.Matches(AccountIdShape(), id));
        Assert.Equal(3, ids.Distinct().Count());
        foreach (var now in new[] { T0 + 3, T0 + 86_400_000L * 365 })
        {
            var rejected = Assert.IsType<RegisterOutcome.RegisterRejected>(await store.RegisterAsync("k1", null, limits, now));
            Assert.Null(rejected.RetryAfterMs);
            Assert.Equal(LimitNames.RegistrationsTotal, rejected.Limit);
        }
        Registered(await store.RegisterAsync("k2", null, limits, T0));
        Assert.Equal(3, (await store.GetQuotaUsageAsync("k1")).Accounts);
        Assert.Equal(1, (await store.GetQuotaUsageAsync("k2")).Accounts);
    }

    [Fact]
    public async Task Registration_window_rejects_with_exact_retry_after_and_rolls_over()
    {
        var store = await NewStoreAsync();
        var limits = new RegistrationLimits(AccountsPerKey: 0, RegistrationsPerWindow: 2, WindowMs: 1_000);
        Registered(await store.RegisterAsync("k", null, limits, T0 + 250));
        Registered(await store.RegisterAsync("k", null, limits, T0 + 260));

        var rejected = Assert.IsType<RegisterOutcome.RegisterRejected>(await store.RegisterAsync("k", null, limits, T0 + 250));
        Assert.Equal(750, rejected.RetryAfterMs);
        Assert.Equal(LimitNames.RegistrationsWindow, rejected.Limit);
        rejected = Assert.IsType<RegisterOutcome.RegisterRejected>(await store.RegisterAsync("k", null, limits, T0 + 999));
        Assert.Equal(1, rejected.RetryAfterMs);

        Registered(await store.RegisterAsync("k", null, limits, T0 + 1_000));
        Registered(await store.RegisterAsync("k", null, limits, T0 + 1_999));
        Assert.IsType<RegisterOutcome.RegisterRejected>(await store.RegisterAsync("k", null, limits, T0 + 1_999));
        Assert.Equal(4, (await store.GetQuotaUsageAsync("k")).Accounts);
    }

    [Fact]
    public async Task Registration_total_limit_wins_over_the_window()
    {
        var store = await NewStoreAsync();
        var limits = new RegistrationLimits(AccountsPerKey: 1, RegistrationsPerWindow: 1, WindowMs: 1_000);
        Registered(await store.RegisterAsync("k", null, limits, T0));
        var rejected = Assert.IsType<RegisterOutcome.RegisterRejected>(await store.RegisterAsync("k", null, limits, T0));
        Assert.Equal(LimitNames.RegistrationsTotal, rejected.Limit);
        Assert.Null(rejected.RetryAfterMs);
    }

    [Fact]
    public async Task Registration_is_idempotent_per_key_and_consumes_nothing_on_replay()
    {
        var store = await NewStoreAsync();
        var limits = new RegistrationLimits(AccountsPerKey: 2, RegistrationsPerWindow: 0, WindowMs: 0);
        var first = Registered(await store.RegisterAsync("k", "op-1", limits, T0));
        Assert.Equal(first, Registered(await store.RegisterAsync("k", "op-1", limits, T0 + 5), replayed: true));
        Assert.Equal(1, (await store.GetQuotaUsageAsync("k")).Accounts);

        var second = Registered(await store.RegisterAsync("k", "op-2", limits, T0));
        Assert.NotEqual(first, second);
        // Limit reached: a replay still answers, a new key does not.
        Assert.Equal(second, Registered(await store.RegisterAsync("k", "op-2", limits, T0), replayed: true));
        Assert.IsType<RegisterOutcome.RegisterRejected>(await store.RegisterAsync("k", "op-3", limits, T0));

        // The same idempotency key under another attacker key is another registration.
        var other = Registered(await store.RegisterAsync("k2", "op-1", limits, T0));
        Assert.NotEqual(first, other);
        Assert.Equal(2, (await store.GetQuotaUsageAsync("k")).Accounts);

        // An empty idempotency key is none.
        Assert.NotEqual(
            Registered(await store.RegisterAsync("k3", "", limits, T0)),
            Registered(await store.RegisterAsync("k3", "", limits, T0)));
    }

    [Fact]
    public async Task Accounts_keep_owner_time_flag_and_registration_order()
    {
        var store = await NewStoreAsync();
        var a = Registered(await store.RegisterAsync("k1", null, RegistrationLimits.Unlimited, T0 + 1));
        var b = Registered(await store.RegisterAsync("k2", null, RegistrationLimits.Unlimited, T0 + 2));
        var c = Registered(await store.RegisterAsync("k1", null, RegistrationLimits.Unlimited, T0 + 3));

        Assert.Equal(new AccountRecord(a, "k1", T0 + 1, 0, false, 0), await store.GetAccountAsync(a));
        Assert.Equal(new AccountRecord(b, "k2", T0 + 2, 0, false, 1), await store.GetAccountAsync(b));
        Assert.Equal([a, b, c], (await store.ListAccountsAsync(null)).Select(x => x.AccountId));
        Assert.Equal([a, c], (await store.ListAccountsAsync("k1")).Select(x => x.AccountId));
        Assert.Equal([2L], (await store.ListAccountsAsync("k1")).Skip(1).Select(x => x.Sequence));
        Assert.Empty(await store.ListAccountsAsync("nobody"));

        await store.SetFlaggedAsync(b, true);
        Assert.True((await store.GetAccountAsync(b))!.Flagged);
        Assert.True((await store.ListAccountsAsync(null))[1].Flagged);
        await store.SetFlaggedAsync(b, false);
        Assert.False((await store.GetAccountAsync(b))!.Flagged);

        await store.SetFlaggedAsync("acct-ffffffffffffffff", true); // unknown: ignored
        Assert.Null(await store.GetAccountAsync("acct-ffffffffffffffff"));
    }

    [Fact]
    public async Task Append_is_all_or_nothing_at_the_action_limit()
    {
        var store = await NewStoreAsync();
        var account = Registered(await store.RegisterAsync("k", null, RegistrationLimits.Unlimited, T0));
        var first = Batch(3);

        Assert.Equal(new AppendOutcome.Appended(3, 2, false), await store.AppendInteractionsAsync(account, first, 5, null));
        Assert.Equal(new AppendOutcome.AppendRejected(2), await store.AppendInteractionsAsync(account, Batch(3, 10), 5, null));
        Assert.Equal(first, await store.GetInteractionsAsync(account));
        Assert.Equal(3, (await store.GetAccountAsync(account))!.Actions);

        var second = Batch(2, 20);
        Assert.Equal(new AppendOutcome.Appended(2, 0, false), await store.AppendInteractionsAsync(account, second, 5, null));
        var rejected = Assert.IsType<AppendOutcome.AppendRejected>(await store.AppendInteractionsAsync(account, Batch(1, 30), 5, null));
        Assert.Equal(0, rejected.RemainingActions);
        Assert.Equal(new LimitDecision.Rejected(null, LimitNames.Actions), rejected.Decision);

        Assert.Equal(first.Concat(second), await store.GetInteractionsAsync(account));
        Assert.Equal(5, (await store.GetAccountAsync(account))!.Actions);
        Assert.Equal(5, await store.GetInteractionCountAsync());
    }

    [Fact]
    public async Task Append_keeps_every_field_and_knows_unknown_accounts_and_unlimited_actions()
    {
        var store = await NewStoreAsync();
        var account = Registered(await store.RegisterAsync("k", null, RegistrationLimits.Unlimited, T0));
        StoredInteraction[] batch =
        [
            new(0, null, 0), new(int.MaxValue, 5f, long.MaxValue), new(7, -1.25f, -3), new(42, 0f, T0),
        ];
        var appended = Assert.IsType<AppendOutcome.Appended>(await store.AppendInteractionsAsync(account, batch, 0, null));
        Assert.Equal(int.MaxValue, appended.RemainingActions);
        Assert.Equal(batch, await store.GetInteractionsAsync(account));

        Assert.IsType<AppendOutcome.AccountMissing>(await store.AppendInteractionsAsync("acct-0123456789abcdef", batch, 10, null));
        Assert.Equal(4, await store.GetInteractionCountAsync());
    }

    [Fact]
    public async Task Append_is_idempotent_per_account()
    {
        var store = await NewStoreAsync();
        var a = Registered(await store.RegisterAsync("k", null, RegistrationLimits.Unlimited, T0));
        var b = Registered(await store.RegisterAsync("k", null, RegistrationLimits.Unlimited, T0));

        Assert.Equal(new AppendOutcome.Appended(2, 8, false), await store.AppendInteractionsAsync(a, Batch(2), 10, "batch-1"));
        Assert.Equal(new AppendOutcome.Appended(2, 8, true), await store.AppendInteractionsAsync(a, Batch(2), 10, "batch-1"));
        Assert.Equal(new AppendOutcome.Appended(3, 5, false), await store.AppendInteractionsAsync(a, Batch(3, 5), 10, "batch-2"));
        // The first outcome, even after later batches.
        Assert.Equal(new AppendOutcome.Appended(2, 8, true), await store.AppendInteractionsAsync(a, Batch(2), 10, "batch-1"));
        Assert.Equal(5, (await store.GetInteractionsAsync(a)).Count);
        Assert.Equal(5, await store.GetInteractionCountAsync());

        // Keys are per account.
        Assert.Equal(new AppendOutcome.Appended(1, 9, false), await store.AppendInteractionsAsync(b, Batch(1), 10, "batch-1"));

        // A rejected batch records no key: the retry is judged again.
        Assert.IsType<AppendOutcome.AppendRejected>(await store.AppendInteractionsAsync(a, Batch(6), 10, "batch-3"));
        Assert.Equal(new AppendOutcome.Appended(6, 9, false), await store.AppendInteractionsAsync(a, Batch(6), 20, "batch-3"));
    }

    [Fact]
    public async Task Concurrent_appends_never_pass_the_action_limit()
    {
        var store = await NewStoreAsync();
        var account = Registered(await store.RegisterAsync("k", null, RegistrationLimits.Unlimited, T0));
        var outcomes = new AppendOutcome[64];
        await HammerAsync(64, 64, async i => outcomes[i] = await store.AppendInteractionsAsync(account, Batch(2, 2 * i), 50, null));

        Assert.Equal(25, outcomes.Count(o => o is AppendOutcome.Appended));
        Assert.Equal(39, outcomes.Count(o => o is AppendOutcome.AppendRejected { RemainingActions: 0 }));
        Assert.Equal(50, (await store.GetInteractionsAsync(account)).Count);
        Assert.Equal(50, (await store.GetAccountAsync(account))!.Actions);
        Assert.Equal(50, await store.GetInteractionCountAsync());
    }

    [Fact]
    public async Task All_interactions_come_in_registration_order()
    {
        var store = await NewStoreAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(Registered(await store.RegisterAsync($"k{i % 2}", null, RegistrationLimits.Unlimited, T0 + i)));
            await store.AppendInteractionsAsync(ids[^1], Batch(i, 100 * i), 0, null);
        }

        var all = await store.GetAllInteractionsAsync();
        Assert.Equal(ids, all.Select(x => x.Account.AccountId));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Batch(i, 100 * i), all[i].Interactions);
            Assert.Equal(i, all[i].Account.Actions);
            Assert.Equal(i, all[i].Account.Sequence);
        }
        Assert.Equal(10, await store.GetInteractionCountAsync());
    }

    [Fact]
    public async Task Query_window_rejects_with_exact_retry_after_and_rolls_over()
    {
        var store = await NewStoreAsync();
        var limits = new QueryLimits(PerAccountPerWindow: 3, WindowMs: 1_000, BudgetPerKey: 0);
        for (var i = 0; i < 3; i++)
            Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeQueryAsync("k", "a", limits, T0 + 100 + i));

        Assert.Equal(new LimitDecision.Rejected(900, LimitNames.AccountWindow), await store.TryConsumeQueryAsync("k", "a", limits, T0 + 100));
        Assert.Equal(new LimitDecision.Rejected(1, LimitNames.AccountWindow), await store.TryConsumeQueryAsync("k", "a", limits, T0 + 999));
        // Windows are per account.
        Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeQueryAsync("k", "b", limits, T0 + 999));
        // The next window starts exactly at the retry time.
        Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeQueryAsync("k", "a", limits, T0 + 1_000));
        Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeQueryAsync("k", "a", limits, T0 + 1_001));
        Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeQueryAsync("k", "a", limits, T0 + 1_500));
        Assert.Equal(new LimitDecision.Rejected(250, LimitNames.AccountWindow), await store.TryConsumeQueryAsync("k", "a", limits, T0 + 1_750));

        // Rejected queries are not counted.
        Assert.Equal(7, (await store.GetQuotaUsageAsync("k")).QueriesUsed);
    }

    [Fact]
    public async Task Query_budget_never_resets_wins_over_the_window_and_is_only_spent_when_both_admit()
    {
        var store = await NewStoreAsync();
        var limits = new QueryLimits(PerAccountPerWindow: 1, WindowMs: 1_000, BudgetPerKey: 2);
        Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeQueryAsync("k", "a", limits, T0));
        // Window full: the budget is not touched.
        Assert.Equal(new LimitDecision.Rejected(1_000, LimitNames.AccountWindow), await store.TryConsumeQueryAsync("k", "a", limits, T0));
        Assert.Equal(1, (await store.GetQuotaUsageAsync("k")).QueriesUsed);

        Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeQueryAsync("k", "b", limits, T0));
        Assert.Equal(new LimitDecision.Rejected(null, LimitNames.KeyBudget), await store.TryConsumeQueryAsync("k", "c", limits, T0));
        Assert.Equal(new LimitDecision.Rejected(null, LimitNames.KeyBudget), await store.TryConsumeQueryAsync("k", "a", limits, T0));
        Assert.Equal(new LimitDecision.Rejected(null, LimitNames.KeyBudget), await store.TryConsumeQueryAsync("k", "a", limits, T0 + 10_000_000));
        // Budget exhausted: no window was consumed by the rejections.
        Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeQueryAsync("k", "c", limits with { BudgetPerKey = 3 }, T0));

        // Unlimited budget and window.
        for (var i = 0; i < 20; i++)
            Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeQueryAsync("k2", "d", QueryLimits.Unlimited, T0));
        Assert.Equal(20, (await store.GetQuotaUsageAsync("k2")).QueriesUsed);
        Assert.Equal(3, (await store.GetQuotaUsageAsync("k")).QueriesUsed);
    }

    [Fact]
    public async Task Key_budget_is_never_over_admitted_by_64_concurrent_tasks()
    {
        var store = await NewStoreAsync();
        const int calls = 10_000, budget = 2_500, accounts = 32;
        var limits = new QueryLimits(PerAccountPerWindow: 100, WindowMs: 3_600_000, BudgetPerKey: budget);
        var admitted = 0;
        var rejected = 0;
        var wrongRejections = 0;

        await HammerAsync(64, calls, async call =>
        {
            var decision = await store.TryConsumeQueryAsync("k", $"acct-{call % accounts}", limits, T0 + call);
            if (decision is LimitDecision.Admitted) Interlocked.Increment(ref admitted);
            else
            {
                Interlocked.Increment(ref rejected);
                if (decision is not LimitDecision.Rejected { Limit: LimitNames.KeyBudget, RetryAfterMs: null })
                    Interlocked.Increment(ref wrongRejections);
            }
        });

        Assert.Equal(budget, admitted);
        Assert.Equal(calls - budget, rejected);
        Assert.Equal(0, wrongRejections);
        Assert.Equal(budget, (await store.GetQuotaUsageAsync("k")).QueriesUsed);
    }

    [Fact]
    public async Task Each_of_many_key_budgets_is_exact_under_contention()
    {
        // Consecutive calls share a key, so concurrent tasks race at each key's budget boundary, 100 times.
        var store = await NewStoreAsync();
        const int calls = 10_000, keys = 100, budget = 25;
        var limits = new QueryLimits(PerAccountPerWindow: 10, WindowMs: 3_600_000, BudgetPerKey: budget);
        var admitted = new int[keys];
        await HammerAsync(64, calls, async call =>
        {
            var key = call / (calls / keys);
            if (await store.TryConsumeQueryAsync($"k{key}", $"k{key}-acct-{call % 8}", limits, T0) is LimitDecision.Admitted)
                Interlocked.Increment(ref admitted[key]);
        });

        Assert.All(admitted, count => Assert.Equal(budget, count));
        for (var k = 0; k < keys; k++)
            Assert.Equal(budget, (await store.GetQuotaUsageAsync($"k{k}")).QueriesUsed);
    }

    [Fact]
    public async Task Account_window_is_never_over_admitted_by_concurrent_tasks()
    {
        var store = await NewStoreAsync();
        var limits = new QueryLimits(PerAccountPerWindow: 25, WindowMs: 60_000, BudgetPerKey: 0);
        var decisions = new LimitDecision[400];
        await HammerAsync(64, 400, async i => decisions[i] = await store.TryConsumeQueryAsync($"k{i % 2}", $"a{i % 4}", limits, T0 + 30_000));

        Assert.Equal(100, decisions.Count(d => d is LimitDecision.Admitted));
        Assert.All(decisions.OfType<LimitDecision.Rejected>(), r => Assert.Equal(new LimitDecision.Rejected(30_000, LimitNames.AccountWindow), r));
        Assert.Equal(50, (await store.GetQuotaUsageAsync("k0")).QueriesUsed);
    }

    [Fact]
    public async Task Registration_limits_hold_under_concurrency()
    {
        var store = await NewStoreAsync();
        var limits = new RegistrationLimits(AccountsPerKey: 30, RegistrationsPerWindow: 0, WindowMs: 0);
        var outcomes = new RegisterOutcome[200];
        await HammerAsync(64, 200, async i => outcomes[i] = await store.RegisterAsync("k", $"op-{i % 20}", limits, T0));

        // 20 distinct idempotency keys: 20 accounts, each returned to 10 callers, one of them new.
        var registered = outcomes.Cast<RegisterOutcome.Registered>().ToArray();
        Assert.Equal(20, registered.Count(r => !r.Replayed));
        Assert.Equal(20, registered.Select(r => r.AccountId).Distinct().Count());
        Assert.Equal(20, (await store.GetQuotaUsageAsync("k")).Accounts);

        var more = new RegisterOutcome[64];
        await HammerAsync(64, 64, async i => more[i] = await store.RegisterAsync("k", null, limits, T0));
        Assert.Equal(10, more.Count(o => o is RegisterOutcome.Registered));
        Assert.Equal(30, (await store.ListAccountsAsync("k")).Count);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), (await store.ListAccountsAsync(null)).Select(a => a.Sequence));
    }

    [Fact]
    public async Task Crawl_pages_are_limited_per_key_in_total()
    {
        var store = await NewStoreAsync();
        for (var i = 0; i < 3; i++) Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeCrawlPageAsync("k", 3));
        Assert.Equal(new LimitDecision.Rejected(null, LimitNames.CrawlPages), await store.TryConsumeCrawlPageAsync("k", 3));
        Assert.Equal(new LimitDecision.Rejected(null, LimitNames.CrawlPages), await store.TryConsumeCrawlPageAsync("k", 3));
        Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeCrawlPageAsync("k2", 3));
        Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeCrawlPageAsync("k", 0)); // unlimited
        Assert.Equal(4, (await store.GetQuotaUsageAsync("k")).CrawlPagesUsed);

        var decisions = new LimitDecision[100];
        await HammerAsync(64, 100, async i => decisions[i] = await store.TryConsumeCrawlPageAsync("k3", 7));
        Assert.Equal(7, decisions.Count(d => d is LimitDecision.Admitted));
    }

    [Fact]
    public async Task Model_checkpoint_round_trips_and_is_replaced()
    {
        var store = await NewStoreAsync();
        var payload = new byte[1 << 20];
        new Random(7).NextBytes(payload);
        var checkpoint = new ModelCheckpoint("bprmf-3", payload, T0, 123_456, 1.0 / 3, """{"kind":"bprmf","dim":64}""");
        await store.SaveModelAsync(checkpoint);
        payload[0] ^= 0xFF; // the store keeps what it was given, not the caller's buffer

        var loaded = await store.LoadModelAsync();
        Assert.NotNull(loaded);
        Assert.Equal(checkpoint.Version, loaded.Version);
        Assert.Equal(checkpoint.TrainedUnixMs, loaded.TrainedUnixMs);
        Assert.Equal(checkpoint.InteractionCount, loaded.InteractionCount);
        Assert.Equal(checkpoint.TrainSeconds, loaded.TrainSeconds);
        Assert.Equal(checkpoint.MetadataJson, loaded.MetadataJson);
        payload[0] ^= 0xFF;
        Assert.Equal(payload, loaded.Payload);

        await store.SaveModelAsync(new ModelCheckpoint("poprec-4", [], T0 + 1, 0, 0, ""));
        loaded = await store.LoadModelAsync();
        Assert.Equal("poprec-4", loaded!.Version);
        Assert.Empty(loaded.Payload);
        Assert.Equal("", loaded.MetadataJson);
    }

    [Fact]
    public async Task Reset_clears_everything_and_stores_the_scenario()
    {
        var store = await NewStoreAsync();
        var registration = new RegistrationLimits(AccountsPerKey: 1, RegistrationsPerWindow: 1, WindowMs: 60_000);
        var queries = new QueryLimits(PerAccountPerWindow: 1, WindowMs: 60_000, BudgetPerKey: 1);
        await store.ResetAsync("""{"name":"first"}""");
        var account = Registered(await store.RegisterAsync("k", "op", registration, T0));
        await store.AppendInteractionsAsync(account, Batch(3), 3, "b1");
        await store.TryConsumeQueryAsync("k", account, queries, T0);
        await store.TryConsumeCrawlPageAsync("k", 1);
        await store.SetFlaggedAsync(account, true);
        await store.SaveModelAsync(new ModelCheckpoint("v1", [1, 2, 3], T0, 3, 0.5, "{}"));
        Assert.Equal("""{"name":"first"}""", await store.GetScenarioAsync());

        await store.ResetAsync("""{"name":"second"}""");

        Assert.Equal("""{"name":"second"}""", await store.GetScenarioAsync());
        Assert.Null(await store.GetAccountAsync(account));
        Assert.Empty(await store.ListAccountsAsync(null));
        Assert.Empty(await store.ListAccountsAsync("k"));
        Assert.Empty(await store.GetInteractionsAsync(account));
        Assert.Empty(await store.GetAllInteractionsAsync());
        Assert.Equal(0, await store.GetInteractionCountAsync());
        Assert.Equal(new QuotaUsage(0, 0, 0), await store.GetQuotaUsageAsync("k"));
        Assert.Null(await store.LoadModelAsync());

        // Every limit, window and idempotency key starts over.
        var again = Registered(await store.RegisterAsync("k", "op", registration, T0));
        Assert.NotEqual(account, again);
        Assert.Equal(0, (await store.GetAccountAsync(again))!.Sequence);
        Assert.Equal(new AppendOutcome.Appended(3, 0, false), await store.AppendInteractionsAsync(again, Batch(3), 3, "b1"));
        Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeQueryAsync("k", account, queries, T0));
        Assert.IsType<LimitDecision.Admitted>(await store.TryConsumeCrawlPageAsync("k", 1));
    }
}
