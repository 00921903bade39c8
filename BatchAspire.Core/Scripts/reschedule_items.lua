-- reschedule_items: returns leased items for another attempt, durably: a retry waits in the delayed
-- set scored by its due time, so a backoff of hours survives any restart. Only an item this Worker
-- still holds (and that has no result) is rescheduled; on a cancelling job it is dropped instead.
-- ARGV: groups of 4: index, delay ms (0 = back to ready now), attempts-so-far JSON,
-- kind ('retry' counts a retry, 'rate_limited' a provider 429, 'release' neither).
-- Returns {rescheduled, status}.
local now = now_ms()
local status = redis.call('HGET', KEYS[1], 'status')
local rescheduled = 0
for i = 1, #ARGV, 4 do
  local idx = ARGV[i]
  release_reservation(idx)
  if redis.call('ZREM', KEYS[4], idx) == 1 and redis.call('HEXISTS', KEYS[6], idx) == 0 then
    if ARGV[i + 3] == 'retry' then redis.call('HINCRBY', KEYS[1], 'retries', 1) end
    if ARGV[i + 3] == 'rate_limited' then redis.call('HINCRBY', KEYS[1], 'rate_limited', 1) end
    if status == 'in_progress' then
      redis.call('HSET', KEYS[8], idx, ARGV[i + 2])
      local delay = tonumber(ARGV[i + 1])
      if delay > 0 then
        redis.call('ZADD', KEYS[5], now + delay, idx)
      else
        redis.call('RPUSH', KEYS[3], idx)
      end
      rescheduled = rescheduled + 1
    end
  end
end
return {rescheduled, finish_if_done(now)}
