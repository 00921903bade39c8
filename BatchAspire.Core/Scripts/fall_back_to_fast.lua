-- fall_back_to_fast: moves an economy job whose provider batch API refused it (403 not enabled, 429 too many
-- batches) onto the fast path, visibly: mode_decision becomes fast and mode_reason says why.
-- Only a job with no provider batch submitted yet falls back, so no item can run on both paths.
-- KEYS: the job layout plus KEYS[13] (economy list). ARGV[1] the new reason.
-- Returns 1 when the job moved, 0 when it was not an in-progress economy job.
local status = redis.call('HGET', KEYS[1], 'status')
local decision = redis.call('HGET', KEYS[1], 'mode_decision')
if status ~= 'in_progress' or (decision ~= 'economy' and decision ~= 'waves') then return 0 end
redis.call('HSET', KEYS[1], 'mode_decision', 'fast', 'mode_reason', ARGV[1])
redis.call('LREM', KEYS[13], 0, redis.call('HGET', KEYS[1], 'id'))
redis.call('RPUSH', KEYS[10], redis.call('HGET', KEYS[1], 'id'))
return 1
