using StackExchange.Redis;

namespace PoisonRange.Platform.Stores;

/// <summary>
/// Every read-check-write of the Redis store, each one Lua script so each decision is atomic.
/// Parameters of type RedisKey travel as KEYS. Status codes: 0 done, 1 replayed, negative refused.
/// A fixed-window key gets its TTL on its first hit only.
/// </summary>
internal static class RedisScripts
{
    /// <summary>{status, account id}: 0 new, 1 replayed, -1 total limit, -2 window limit, -3 id taken.</summary>
    public static readonly LuaScript Register = LuaScript.Prepare("""
        local idem = @idem
        if idem ~= '' then
          local existing = redis.call('HGET', @registrations, idem)
          if existing then return {1, existing} end
        end
        local total = tonumber(@total)
        if total > 0 and redis.call('ZCARD', @ownerAccounts) >= total then return {-1, ''} end
        local perWindow = tonumber(@perWindow)
        if perWindow > 0 and tonumber(redis.call('GET', @window) or '0') >= perWindow then return {-2, ''} end
        if redis.call('EXISTS', @account) == 1 then return {-3, ''} end
        if perWindow > 0 and redis.call('INCR', @window) == 1 then redis.call('PEXPIRE', @window, @ttl) end
        local seq = redis.call('INCR', @sequence) - 1
        redis.call('HSET', @account, 'owner', @owner, 'registered', @now, 'actions', 0, 'flagged', 0, 'seq', seq)
        redis.call('ZADD', @accounts, seq, @id)
        redis.call('ZADD', @ownerAccounts, seq, @id)
        if idem ~= '' then redis.call('HSET', @registrations, idem, @id) end
        return {0, @id}
        """);

    /// <summary>
    /// {status, accepted, remaining} or {status, remaining}: 0 appended, 1 replayed, -1 over the
    /// action limit, -9 no such account. Remaining -1 means unlimited.
    /// </summary>
    public static readonly LuaScript Append = LuaScript.Prepare("""
        if redis.call('EXISTS', @account) == 0 then return {-9, 0} end
        local idem = @idem
        if idem ~= '' then
          local prior = redis.call('HGET', @appends, idem)
          if prior then
            local sep = string.find(prior, ':', 1, true)
            return {1, tonumber(string.sub(prior, 1, sep - 1)), tonumber(string.sub(prior, sep + 1))}
          end
        end
        local n = tonumber(@n)
        local max = tonumber(@max)
        local actions = tonumber(redis.call('HGET', @account, 'actions'))
        if max > 0 and actions + n > max then return {-1, max - actions} end
        if n > 0 then
          redis.call('APPEND', @log, @packed)
          actions = redis.call('HINCRBY', @account, 'actions', n)
          redis.call('INCRBY', @interactionCount, n)
        end
        local remaining = -1
        if max > 0 then remaining = max - actions end
        if idem ~= '' then redis.call('HSET', @appends, idem, n .. ':' .. remaining) end
        return {0, n, remaining}
        """);

    /// <summary>0 admitted, -1 key budget spent, -2 account window full.</summary>
    public static readonly LuaScript Query = LuaScript.Prepare("""
        local budget = tonumber(@budget)
        if budget > 0 and tonumber(redis.call('GET', @used) or '0') >= budget then return -1 end
        local perWindow = tonumber(@perWindow)
        if perWindow > 0 then
          if tonumber(redis.call('GET', @window) or '0') >= perWindow then return -2 end
          if redis.call('INCR', @window) == 1 then redis.call('PEXPIRE', @window, @ttl) end
        end
        redis.call('INCR', @used)
        return 0
        """);

    /// <summary>0 admitted, -1 crawl limit reached.</summary>
    public static readonly LuaScript CrawlPage = LuaScript.Prepare("""
        local limit = tonumber(@limit)
        if limit > 0 and tonumber(redis.call('GET', @used) or '0') >= limit then return -1 end
        redis.call('INCR', @used)
        return 0
        """);

    /// <summary>Sets the flag of an existing account only: 1 set, 0 no such account.</summary>
    public static readonly LuaScript Flag = LuaScript.Prepare("""
        if redis.call('EXISTS', @account) == 0 then return 0 end
        redis.call('HSET', @account, 'flagged', @flagged)
        return 1
        """);

    /// <summary>One account and its log, read together: {hash fields and values, packed log or nil}.</summary>
    public static readonly LuaScript ReadAccount = LuaScript.Prepare("""
        return {redis.call('HGETALL', @account), redis.call('GET', @log)}
        """);
}
