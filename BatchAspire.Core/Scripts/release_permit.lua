-- release_permit: what happened after the calls of a limit scope. Frees their concurrency, reconciles each
-- reserved token estimate with the usage the provider reported, learns the average output per call, and
-- applies the provider's signals: a 429's cooldown (every Worker pauses), a quota stop (every Worker stops),
-- and the limits its x-ratelimit-* headers announce.
-- Two books are kept apart: the accounting (reserved, refunded, charged extra, actual usage) always
-- reconciles to the reported usage; the rate bucket moves by what the provider's own window charged
-- differently from the reservation (OpenAI charges prompt + max_tokens when the call is admitted, so a
-- call that set max_tokens moves it by nothing, and one whose output was estimated by the difference).
-- KEYS: the same layout as acquire_permit (scope state, scope permits, request slice, token slice,
--   optional job state, job permits).
-- ARGV: 1 cooldown ms (0 = none), 2 quota stop ms (0 = none), 3 quota message,
--   4 learned rpm (0 = none), 5 learned tpm, 6 remaining requests (-1 = unknown), 7 requests reset ms,
--   8 remaining tokens (-1 = unknown), 9 tokens reset ms,
--   then groups of 5: permit id, reserved tokens, actual tokens (-1 = not admitted: never sent or refused,
--   so its request and tokens come back), bucket delta tokens, output tokens to learn from (-1 = none).
-- Returns the number of permits that were still held.
local now = now_ms()
local scope = KEYS[1]
redis.call('HINCRBY', scope, 'release_calls', 1)

local function push_cooldown(ms)
  if ms <= 0 then return end
  local current = tonumber(redis.call('HGET', scope, 'cooldown_until') or '0') or 0
  if now + ms > current then redis.call('HSET', scope, 'cooldown_until', now + ms) end
end

-- Moves a rate dimension's tat by `units` (negative refunds), never filling the bucket past capacity.
local function adjust(key, field, units)
  if units == 0 then return end
  local tat = tonumber(redis.call('HGET', key, field) or '')
  local interval = tonumber(redis.call('HGET', key, field .. '_interval') or '')
  if not tat or not interval then return end
  local capacity = tonumber(redis.call('HGET', key, field .. '_capacity') or '1') or 1
  local floor = now - capacity * interval
  tat = math.max(math.max(tat, floor) + units * interval, floor)
  redis.call('HSET', key, field, string.format('%.3f', tat))
end

local has_job = #KEYS >= 6
local released, refunded, extra, actual_sum, unsent = 0, 0, 0, 0, 0
local out_n = tonumber(redis.call('HGET', scope, 'out_n') or '0') or 0
local out_avg = tonumber(redis.call('HGET', scope, 'out_avg') or '0') or 0
for i = 10, #ARGV, 5 do
  released = released + redis.call('ZREM', KEYS[2], ARGV[i])
  if has_job then redis.call('ZREM', KEYS[6], ARGV[i]) end
  local reserved = tonumber(ARGV[i + 1])
  local actual = tonumber(ARGV[i + 2])
  local bucket = tonumber(ARGV[i + 3])
  if actual < 0 then
    unsent = unsent + 1
    refunded = refunded + reserved
    bucket = -reserved
    adjust(scope, 'tat_req', -1)
    if has_job then adjust(KEYS[5], 'tat_req', -1) end
    redis.call('ZREM', KEYS[3], ARGV[i] .. '|1')
    redis.call('ZREM', KEYS[4], ARGV[i] .. '|' .. reserved)
  else
    actual_sum = actual_sum + actual
    if actual < reserved then refunded = refunded + reserved - actual else extra = extra + actual - reserved end
  end
  adjust(scope, 'tat_tok', bucket)
  if has_job then adjust(KEYS[5], 'tat_tok', bucket) end
  local output = tonumber(ARGV[i + 4])
  if output >= 0 then
    out_n = out_n + 1
    out_avg = out_avg + (output - out_avg) / math.min(out_n, 100)
  end
end

local count = math.floor((#ARGV - 9) / 5)
if count > 0 then
  redis.call('HINCRBY', scope, 'requests_released', count)
  redis.call('HINCRBY', scope, 'requests_not_admitted', unsent)
  redis.call('HINCRBY', scope, 'tokens_refunded', refunded)
  redis.call('HINCRBY', scope, 'tokens_extra', extra)
  redis.call('HINCRBY', scope, 'tokens_actual', actual_sum)
  redis.call('HSET', scope, 'out_n', out_n, 'out_avg', string.format('%.3f', out_avg))
end

push_cooldown(tonumber(ARGV[1]))
local quota_ms = tonumber(ARGV[2])
if quota_ms > 0 then
  redis.call('HSET', scope, 'quota_stop_until', now + quota_ms, 'quota_message', ARGV[3])
end
if tonumber(ARGV[4]) > 0 then redis.call('HSET', scope, 'learned_rpm', ARGV[4]) end
if tonumber(ARGV[5]) > 0 then redis.call('HSET', scope, 'learned_tpm', ARGV[5]) end
-- The provider says a window is spent: nobody sends in it until it resets.
if tonumber(ARGV[6]) == 0 then push_cooldown(tonumber(ARGV[7])) end
if tonumber(ARGV[8]) == 0 then push_cooldown(tonumber(ARGV[9])) end
return released
