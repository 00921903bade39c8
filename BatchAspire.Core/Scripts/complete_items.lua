-- complete_items: records final results. A result is written once per item: a second write for the
-- same item (a lost lease that finished anyway) is a no-op, so no item is ever counted twice.
-- ARGV: groups of 9: index, 's' (succeeded) or 'f' (failed), result JSON, input tokens,
-- output tokens, cost (picodollars), cached input tokens, cache write tokens, reasoning tokens.
-- KEYS[12], when given, is the tenant's usage hash: incremented here, in the same step as the job's
-- counters, so a tenant's total is exactly the sum of its jobs' (a separate write after the script could
-- be lost or doubled by a crash or a retried batch).
-- Returns {recorded, status}.
local now = now_ms()
local recorded = 0
local usage = KEYS[12]
local fields = {'input_tokens', 'output_tokens', 'cost_pico', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens'}
local argv_of = {3, 4, 5, 6, 7, 8}
for i = 1, #ARGV, 9 do
  local idx = ARGV[i]
  if redis.call('HSETNX', KEYS[6], idx, ARGV[i + 2]) == 1 then
    recorded = recorded + 1
    local outcome = ARGV[i + 1] == 's' and 'succeeded' or 'failed'
    redis.call('HINCRBY', KEYS[1], outcome, 1)
    if usage then redis.call('HINCRBY', usage, outcome, 1) end
    for f = 1, #fields do
      local value = ARGV[i + argv_of[f]]
      if value ~= '0' then
        redis.call('HINCRBY', KEYS[1], fields[f], value)
        if usage then redis.call('HINCRBY', usage, fields[f], value) end
      end
    end
    redis.call('RPUSH', KEYS[7], idx)
    redis.call('HDEL', KEYS[8], idx)
  end
  release_reservation(idx)
  redis.call('ZREM', KEYS[4], idx)
end
return {recorded, finish_if_done(now)}
