-- reap_expired_leases: returns items whose lease expired (their Worker died or stalled) to the front
-- of the ready queue. Safe to run from every Worker at once: each expired lease is taken by one caller.
-- ARGV[1] the most to reap in one call. Returns {reaped, status}.
local now = now_ms()
local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local status = redis.call('HGET', KEYS[1], 'status')
local reaped = 0
for _, idx in ipairs(expired) do
  redis.call('ZREM', KEYS[4], idx)
  release_reservation(idx)
  if status == 'in_progress' and redis.call('HEXISTS', KEYS[6], idx) == 0 then
    redis.call('LPUSH', KEYS[3], idx)
    reaped = reaped + 1
  end
end
if reaped > 0 then redis.call('HINCRBY', KEYS[1], 'leases_expired', reaped) end
return {reaped, finish_if_done(now)}
