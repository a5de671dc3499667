namespace Faas.Queues;

/// <summary>
/// The Lua scripts behind <see cref="ReliableQueue"/>; each runs atomically and only uses commands that
/// both Redis and Garnet run inside Lua. KEYS are always <see cref="QueueKeys.For"/>: 1 ready, 2 leases,
/// 3 tokens, 4 consumers, 5 delayed, 6 bodies, 7 attempts. Times are milliseconds since the epoch.
/// </summary>
internal static class QueueScripts
{
    /// <summary>ARGV: id, payload. 1 when added, 0 when the id is already pending, leased or delayed.</summary>
    public const string Enqueue = """
        if redis.call('HSETNX', KEYS[6], ARGV[1], ARGV[2]) == 0 then return 0 end
        redis.call('RPUSH', KEYS[1], ARGV[1])
        return 1
        """;

    /// <summary>
    /// Adds several messages, each unless its deduplication key is held (then the id it is held for comes
    /// back) or the backlog is at its limit. KEYS[8 + i]: the deduplication key of message i (ignored when
    /// it has none). ARGV: count, backlog limit (0: none), dedupe time-to-live in ms, then per message id,
    /// payload, has-key (1/0). Returns per message {outcome, id or backlog}: 1 added, 0 id already there,
    /// 2 duplicate key (with the earlier id), 3 backlog full (with the backlog).
    /// </summary>
    public const string EnqueueMany = """
        local n = tonumber(ARGV[1])
        local limit = tonumber(ARGV[2])
        local ttl = ARGV[3]
        local backlog = 0
        if limit > 0 then
          backlog = redis.call('LLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2]) + redis.call('ZCARD', KEYS[5])
        end
        local out = {}
        for i = 0, n - 1 do
          local id = ARGV[4 + i * 3]
          local keyed = ARGV[6 + i * 3] == '1'
          local earlier = false
          if keyed then earlier = redis.call('GET', KEYS[8 + i]) end
          if earlier then
            out[#out + 1] = 2
            out[#out + 1] = earlier
          elseif limit > 0 and backlog >= limit then
            out[#out + 1] = 3
            out[#out + 1] = tostring(backlog)
          elseif redis.call('HSETNX', KEYS[6], id, ARGV[5 + i * 3]) == 0 then
            out[#out + 1] = 0
            out[#out + 1] = id
          else
            redis.call('RPUSH', KEYS[1], id)
            if keyed then redis.call('SET', KEYS[8 + i], id, 'PX', ttl) end
            backlog = backlog + 1
            out[#out + 1] = 1
            out[#out + 1] = id
          end
        end
        return out
        """;

    /// <summary>ARGV: count, then id and token per message. Deletes each message for good whose token still holds its lease: 1 for it, else 0.</summary>
    public const string AckMany = """
        local out = {}
        for i = 0, tonumber(ARGV[1]) - 1 do
          local id = ARGV[2 + i * 2]
          if redis.call('HGET', KEYS[3], id) == ARGV[3 + i * 2] then
            redis.call('ZREM', KEYS[2], id)
            redis.call('HDEL', KEYS[3], id)
            redis.call('HDEL', KEYS[4], id)
            redis.call('HDEL', KEYS[6], id)
            redis.call('HDEL', KEYS[7], id)
            out[#out + 1] = 1
          else
            out[#out + 1] = 0
          end
        end
        return out
        """;

    /// <summary>
    /// ARGV: now, deadline, token, consumer, max. Promotes due delayed messages first (so retries do not
    /// wait for the reaper), then pops up to max ids. Returns a flat array of id, body, attempt triples.
    /// </summary>
    public const string Lease = """
        local max = tonumber(ARGV[5])
        local due = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', ARGV[1], 'LIMIT', 0, max)
        for _, id in ipairs(due) do
          redis.call('ZREM', KEYS[5], id)
          redis.call('RPUSH', KEYS[1], id)
        end
        local out = {}
        local taken = 0
        while taken < max do
          local id = redis.call('LPOP', KEYS[1])
          if not id then break end
          local body = redis.call('HGET', KEYS[6], id)
          if body then
            redis.call('ZADD', KEYS[2], ARGV[2], id)
            redis.call('HSET', KEYS[3], id, ARGV[3])
            redis.call('HSET', KEYS[4], id, ARGV[4])
            local attempt = redis.call('HINCRBY', KEYS[7], id, 1)
            out[#out + 1] = id
            out[#out + 1] = body
            out[#out + 1] = attempt
            taken = taken + 1
          end
        end
        return out
        """;

    /// <summary>
    /// ARGV: id, token, due (0 = at once, to the tail of ready), uncount (1: this delivery does not count
    /// as an attempt). Gives the lease back.
    /// </summary>
    public const string Nack = """
        if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('HDEL', KEYS[3], ARGV[1])
        redis.call('HDEL', KEYS[4], ARGV[1])
        if ARGV[4] == '1' then redis.call('HINCRBY', KEYS[7], ARGV[1], -1) end
        if tonumber(ARGV[3]) > 0 then
          redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
        else
          redis.call('RPUSH', KEYS[1], ARGV[1])
        end
        return 1
        """;

    /// <summary>ARGV: id, token, new deadline.</summary>
    public const string Extend = """
        if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
        return 1
        """;

    /// <summary>
    /// ARGV: now, limit. Expired leases go back to the head of ready, oldest deadline first (they were
    /// due before anything enqueued since); due delayed messages go to the tail. Returns {redelivered, promoted}.
    /// </summary>
    public const string Reap = """
        local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for i = #expired, 1, -1 do
          local id = expired[i]
          redis.call('ZREM', KEYS[2], id)
          redis.call('HDEL', KEYS[3], id)
          redis.call('HDEL', KEYS[4], id)
          redis.call('LPUSH', KEYS[1], id)
        end
        local due = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, id in ipairs(due) do
          redis.call('ZREM', KEYS[5], id)
          redis.call('RPUSH', KEYS[1], id)
        end
        return { #expired, #due }
        """;

    /// <summary>Returns {ready, leased, delayed} in one consistent read.</summary>
    public const string Counts = """
        return { redis.call('LLEN', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[5]) }
        """;
}
