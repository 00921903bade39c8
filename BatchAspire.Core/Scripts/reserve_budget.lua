-- reserve_budget: before an item's call is sent, reserves its worst-case cost against the job's budget,
-- so the job stops before it can overspend: what is spent plus what calls in flight may still spend never
-- exceeds budget_pico. The first reservation that does not fit closes the budget for good (later, smaller
-- calls are not squeezed in): the job records why, and every item not yet sent fails with budget_exceeded.
-- A reservation is released when the item completes, is rescheduled or its lease is reaped (_lib.lua).
-- ARGV[1] index, ARGV[2] worst-case cost (picodollars), ARGV[3] the job error JSON to record on refusal.
-- Returns {1} reserved (or the job has no budget), {0} refused.
local budget = redis.call('HGET', KEYS[1], 'budget_pico')
if not budget then return {1} end
release_reservation(ARGV[1])
if redis.call('HEXISTS', KEYS[1], 'budget_stopped_at') == 1 then return {0} end
local spent = tonumber(redis.call('HGET', KEYS[1], 'cost_pico') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved_pico') or '0')
if spent + reserved + tonumber(ARGV[2]) > tonumber(budget) then
  local now = now_ms()
  redis.call('HSET', KEYS[1], 'budget_stopped_at', math.floor(now / 1000), 'error', ARGV[3])
  return {0}
end
redis.call('HSET', KEYS[1], 'rsv:' .. ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'reserved_pico', ARGV[2])
return {1}
