using System.Text;
using StackExchange.Redis;

namespace PoisonRange.Platform.Stores;

/// <summary>
/// Every Redis key of the platform store. Each name is the prefix, a fixed kind, then the
/// variable parts, with a window index (digits only) always last, so two different inputs never
/// build the same key. Prefixes of two platforms sharing a Redis must not be prefixes of each other.
/// </summary>
public static class RedisKeys
{
    public const string DefaultPrefix = "poisonrange:platform:";

    /// <summary>The scenario JSON (string).</summary>
    public static RedisKey Scenario(string prefix) => prefix + "scenario";

    /// <summary>Every account id, scored by registration sequence (sorted set).</summary>
    public static RedisKey Accounts(string prefix) => prefix + "accounts";

    /// <summary>The next registration sequence (counter).</summary>
    public static RedisKey Sequence(string prefix) => prefix + "sequence";

    /// <summary>Interactions appended since the last reset (counter).</summary>
    public static RedisKey InteractionCount(string prefix) => prefix + "interaction-count";

    /// <summary>The serving model's checkpoint (hash).</summary>
    public static RedisKey Model(string prefix) => prefix + "model";

    /// <summary>One account: owner, registered, actions, flagged, seq (hash).</summary>
    public static RedisKey Account(string prefix, string accountId) => prefix + "account:" + accountId;

    /// <summary>One account's interactions, packed back to back (string, appended to).</summary>
    public static RedisKey AccountLog(string prefix, string accountId) => prefix + "account-log:" + accountId;

    /// <summary>One account's accepted batches by idempotency key: "accepted:remaining" (hash).</summary>
    public static RedisKey AccountAppends(string prefix, string accountId) => prefix + "account-appends:" + accountId;

    /// <summary>One account's queries in one fixed window (counter with TTL).</summary>
    public static RedisKey AccountQueryWindow(string prefix, string accountId, long window) => prefix + "account-queries:" + accountId + ":" + window;

    /// <summary>One key's account ids, scored by registration sequence (sorted set).</summary>
    public static RedisKey OwnerAccounts(string prefix, string ownerKey) => prefix + "owner-accounts:" + ownerKey;

    /// <summary>One key's registrations by idempotency key: account id (hash).</summary>
    public static RedisKey OwnerRegistrations(string prefix, string ownerKey) => prefix + "owner-registrations:" + ownerKey;

    /// <summary>One key's registrations in one fixed window (counter with TTL).</summary>
    public static RedisKey OwnerRegistrationWindow(string prefix, string ownerKey, long window) => prefix + "owner-registration-window:" + ownerKey + ":" + window;

    /// <summary>One key's queries in total (counter).</summary>
    public static RedisKey OwnerQueries(string prefix, string ownerKey) => prefix + "owner-queries:" + ownerKey;

    /// <summary>One key's crawl pages in total (counter).</summary>
    public static RedisKey OwnerCrawlPages(string prefix, string ownerKey) => prefix + "owner-crawl-pages:" + ownerKey;

    /// <summary>A SCAN pattern matching every key under <paramref name="prefix"/>.</summary>
    public static RedisValue Pattern(string prefix)
    {
        var pattern = new StringBuilder(prefix.Length + 1);
        foreach (var c in prefix)
        {
            if (c is '*' or '?' or '[' or ']' or '\\') pattern.Append('\\');
            pattern.Append(c);
        }
        return pattern.Append('*').ToString();
    }
}
