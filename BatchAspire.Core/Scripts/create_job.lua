-- create_job: makes a staged job live in one step, so a job is either fully stored or absent.
-- The items and ids hashes were written beforehand with a short staging TTL; this removes it.
-- ARGV[1] job id, ARGV[2] created_at (unix s, for the tenant index), ARGV[3..] meta field/value pairs.
-- A 'completion_window_s' field sets the deadline expires_at from the store's clock. A 'status' field of
-- 'failed' stores a job rejected at validation (its 'errors' say why): kept for the record, never run.
-- Returns 1, or 0 when the id already exists.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local now = now_ms()
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
local ts = math.floor(now / 1000)
if redis.call('HGET', KEYS[1], 'status') == 'failed' then
  redis.call('HSET', KEYS[1], 'failed_at', ts, 'finished_at', ts, 'cursor', 0, 'succeeded', 0, 'failed', 0,
    'retries', 0, 'rate_limited', 0)
  redis.call('DEL', KEYS[2], KEYS[9])
  redis.call('EXPIRE', KEYS[1], meta_number('retention_s'))
  redis.call('ZADD', KEYS[11], ARGV[2], ARGV[1])
  return 1
end
local window = meta_number('completion_window_s')
if window > 0 then redis.call('HSET', KEYS[1], 'expires_at', ts + window) end
redis.call('HSET', KEYS[1], 'status', 'in_progress', 'in_progress_at', math.floor(now / 1000),
  'cursor', 0, 'succeeded', 0, 'failed', 0, 'retries', 0, 'rate_limited', 0)
redis.call('PERSIST', KEYS[2])
redis.call('PERSIST', KEYS[9])
redis.call('ZADD', KEYS[11], ARGV[2], ARGV[1])
-- Economy and waves jobs go to the EconomyPollers' list, never to the fast round-robin: no fast lease ever touches them.
local decision = redis.call('HGET', KEYS[1], 'mode_decision')
if decision == 'economy' or decision == 'waves' then
  redis.call('RPUSH', KEYS[13], ARGV[1])
else
  redis.call('RPUSH', KEYS[10], ARGV[1])
end
return 1
