using PoisonRange.Data;

namespace PoisonRange.Platform.Engine;

// What the engine answers, as plain records; the gRPC services map them to their replies.

/// <summary>One interaction an attacker account asks to record (TimestampMs 0: now).</summary>
public sealed record ProposedInteraction(string ItemId, float? Rating, long TimestampMs);

/// <summary>
/// A recorded batch (or, Replayed, one an earlier call with the same idempotency key recorded).
/// RemainingActions is int.MaxValue when actions are unlimited.
/// </summary>
public sealed record RecordResult(int Accepted, int RemainingActions, bool Replayed);

/// <summary>One page of the catalogue; NextPageToken is empty on the last page.</summary>
public sealed record CataloguePage(IReadOnlyList<string> ItemIds, int TotalItems, string NextPageToken);

/// <summary>
/// One page of the public data: users <see cref="From"/> (inclusive) to <see cref="To"/>
/// (exclusive) of <see cref="View"/>. NextPageToken is empty on the last page.
/// </summary>
public sealed record PublicDataPage(InteractionDataset View, int From, int To, string NextPageToken);

/// <summary>What a key has used of its quotas, next to the scenario's limits (negative: unlimited).</summary>
public sealed record QuotaStatus(
    int Accounts, int AccountsLimit,
    long QueriesUsed, long QueryBudget,
    int CrawlPagesUsed, int CrawlPagesLimit,
    int MaxActionsPerAccount, int KMax);

/// <summary>A scenario that now serves its first model.</summary>
public sealed record ConfiguredScenario(string Name, int Users, int Items, long Interactions, string ModelVersion, double TrainSeconds);

/// <summary>
/// The referee's figures for one serving model, by the definitions of <see cref="Metrics.DisplayRate"/>
/// and <see cref="Metrics.ItemHitRatios"/>: targets counted once, items no normal user is
/// eligible for left out of the mean and listed in <see cref="ExcludedItems"/>.
/// </summary>
public sealed record TargetEvaluation(
    double DisplayRate,
    double MeanItemHitRatio,
    IReadOnlyList<ItemHitRatioResult> Items,
    IReadOnlyList<string> ExcludedItems,
    int TargetUsersEvaluated,
    int NormalUsers,
    string ModelVersion);

/// <summary>HR_t@K of one target item over its <see cref="Population"/> eligible normal users.</summary>
public sealed record ItemHitRatioResult(string ItemId, double HitRatio, int Population);

/// <summary>The platform's state for the operator; <see cref="Scenario"/> is null before any Configure.</summary>
public sealed record PlatformStatus(string Store, bool Retraining, ScenarioStatus? Scenario);

public sealed record ScenarioStatus(
    string Name, string Victim, string ModelVersion,
    int Users, int Items, long Interactions, int Accounts,
    long InteractionsSinceRetrain, long LastTrainedUnixMs, double LastTrainSeconds, int Retrains);

/// <summary>A registered account as the operator sees it: whether its key is an attacker's.</summary>
public sealed record AccountSummary(string AccountId, string OwnerKey, bool Fake, int Actions, long RegisteredUnixMs, bool Flagged);

/// <summary>The store answered: its kind and the interactions it holds.</summary>
public sealed record StoreProbe(string Kind, long Interactions);
