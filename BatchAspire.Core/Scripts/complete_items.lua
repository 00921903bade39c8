-- complete_items: records final results. A result is written once per item: a second write for the
-- same item (a lost lease that finished anyway) is a no-op, so no item is ever counted twice.
-- ARGV: groups of 6: index, 's' (succeeded) or 'f' (failed), result JSON, input tokens,
-- output tokens, cost (picodollars).
-- Returns {recorded, status}.
local now = now_ms()
local recorded = 0
for i = 1, #ARGV, 6 do
  local idx = ARGV[i]
  if redis.call('HSETNX', KEYS[6], idx, ARGV[i + 2]) == 1 then
    recorded = recorded + 1
    redis.call('HINCRBY', KEYS[1], ARGV[i + 1] == 's' and 'succeeded' or 'failed', 1)
    redis.call('HINCRBY', KEYS[1], 'input_tokens', ARGV[i + 3])
    redis.call('HINCRBY', KEYS[1], 'output_tokens', ARGV[i + 4])
    redis.call('HINCRBY', KEYS[1], 'cost_pico', ARGV[i + 5])
    redis.call('RPUSH', KEYS[7], idx)
    redis.call('HDEL', KEYS[8], idx)
  end
  redis.call('ZREM', KEYS[4], idx)
end
return {recorded, finish_if_done(now)}
