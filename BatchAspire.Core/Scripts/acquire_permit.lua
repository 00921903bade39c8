-- acquire_permit: reserves requests, tokens and concurrency of one limit scope (and optionally one job's
-- own lower limits) for a batch of items, each item all-or-nothing across every dimension, in order.
-- Rates use GCRA (virtual scheduling): each dimension keeps a theoretical arrival time (tat); an item
-- is scheduled at the earliest time every dimension's bucket holds its cost, and only items whose slot
-- falls within the horizon are granted. A grant therefore carries a send offset: one call reserves a
-- horizon's worth of evenly spaced slots, so the rate stays continuous while the store is asked once.
-- Providers also enforce each per-minute limit per rolling second (OpenAI: 600 RPM is also 10 in any second).
-- A bucket lets rate x 1 s plus one item's cost into a second, too much for large-token items, so each scope
-- limit also keeps a short log of reserved sends (a sliding window, as the provider measures it) and an item
-- waits until its cost fits the slice. The log's window is the slice stretched by 1/utilization, which is the
-- room left for a call arriving late.
-- KEYS (this family's own layout; all share the scope's hash tag):
--   KEYS[1] scope state    hash  tat_req, tat_tok, cooldown_until, quota_stop_until, learned_rpm, ...
--   KEYS[2] scope permits  zset  permit id -> expiry (ms): the concurrency in use
--   KEYS[3] request slice  zset  'permit id|1' -> reserved send time (ms)
--   KEYS[4] token slice    zset  'permit id|tokens' -> reserved send time (ms)
--   KEYS[5] job state      hash  (optional) the job's own tat_req, tat_tok
--   KEYS[6] job permits    zset  (optional) the job's own concurrency
-- ARGV: 1 rpm, 2 tpm, 3 max concurrency (configured for the scope; 0 = not configured),
--   4 job rpm, 5 job tpm, 6 job max concurrency (0 = none), 7 burst (ms of rate a bucket holds),
--   8 horizon ms, 9 utilization (fraction of the limit aimed at), 10 concurrency while limits are unknown,
--   11 permit ttl ms, 12 output estimate when neither max_tokens nor a learned average is known,
--   13 retry hint ms when only concurrency is short, 14 job state ttl ms, 15 slice ms (0 = no slice log),
--   then quads: permit id, prompt tokens, max output tokens (-1 = not given), lateness allowance ms (a cold
--   Worker's first call may reach the provider that much after its slot: it is logged that much later, which
--   keeps later slots clear of it whenever it arrives).
-- Returns {granted, retry_in_ms, reason, store now ms, offset_ms 1, tokens 1, offset_ms 2, tokens 2, ...} with
-- reason 'ok' | 'rate' | 'concurrency' | 'cooldown' | 'quota' (then a 5th element: the provider's message).
-- Offsets are from the store's now, which the caller maps to its own clock (it may be skewed).
local now = now_ms()
local scope = KEYS[1]
-- Store round trips the limiter costs, for measuring it (one per acquire call, one per release batch).
redis.call('HINCRBY', scope, 'acquire_calls', 1)

local stop_until = tonumber(redis.call('HGET', scope, 'quota_stop_until') or '0') or 0
if stop_until > now then
  return {0, math.ceil(stop_until - now), 'quota', now, redis.call('HGET', scope, 'quota_message') or 'insufficient_quota'}
end
local cooldown = tonumber(redis.call('HGET', scope, 'cooldown_until') or '0') or 0
if cooldown > now then return {0, math.ceil(cooldown - now), 'cooldown', now} end

local burst_ms = tonumber(ARGV[7])
local horizon = tonumber(ARGV[8])
local utilization = tonumber(ARGV[9])
local ttl = tonumber(ARGV[11])

local function configured_or_learned(arg, field)
  local v = tonumber(arg) or 0
  if v > 0 then return v end
  return tonumber(redis.call('HGET', scope, field) or '0') or 0
end
local rpm = configured_or_learned(ARGV[1], 'learned_rpm')
local tpm = configured_or_learned(ARGV[2], 'learned_tpm')
local concurrency = tonumber(ARGV[3]) or 0
if rpm == 0 and tpm == 0 and concurrency == 0 then concurrency = tonumber(ARGV[10]) or 0 end

-- Rate dimensions: a bucket of `capacity` units refilling one unit per `interval` ms.
local dims = {}
local function add_rate(key, field, per_minute, is_tokens, is_job)
  if per_minute <= 0 then return end
  local rate = per_minute * utilization
  local interval = 60000 / rate
  local capacity = math.max(1, rate * burst_ms / 60000)
  local tat = tonumber(redis.call('HGET', key, field) or '0') or 0
  dims[#dims + 1] = {key = key, field = field, interval = interval, capacity = capacity, tat = tat, tokens = is_tokens, job = is_job}
end
add_rate(scope, 'tat_req', rpm, false, false)
add_rate(scope, 'tat_tok', tpm, true, false)

-- Concurrency sets: expired permits (a crashed Worker's) free themselves here.
local sets = {}
local function add_set(key, limit)
  if limit <= 0 then return end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  sets[#sets + 1] = {key = key, room = limit - redis.call('ZCARD', key)}
end
add_set(KEYS[2], concurrency)

local has_job = #KEYS >= 6
if has_job then
  add_rate(KEYS[5], 'tat_req', tonumber(ARGV[4]) or 0, false, true)
  add_rate(KEYS[5], 'tat_tok', tonumber(ARGV[5]) or 0, true, true)
  add_set(KEYS[6], tonumber(ARGV[6]) or 0)
end

-- Slice logs: entries {time, cost} in time order, loaded once; granted items are appended as they go.
local slices = {}
local slice_ms = tonumber(ARGV[15]) or 0
local function add_slice(key, per_minute, is_tokens)
  if slice_ms <= 0 or per_minute <= 0 then return end
  local window = slice_ms / utilization
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local raw = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  local entries, sum = {}, 0
  for j = 1, #raw, 2 do
    local cost = tonumber(string.match(raw[j], '|(%d+)$')) or 1
    entries[#entries + 1] = {tonumber(raw[j + 1]), cost}
    sum = sum + cost
  end
  slices[#slices + 1] = {key = key, limit = math.ceil(per_minute * slice_ms / 60000), window = window,
    entries = entries, tokens = is_tokens}
end
add_slice(KEYS[3], rpm, false)
add_slice(KEYS[4], tpm, true)

-- The earliest time >= at when cost fits the slice (entries at or before at - window have left it).
local function fit_slice(sl, at, cost)
  local inside, first = 0, nil
  for j, e in ipairs(sl.entries) do
    if e[1] > at - sl.window then
      inside = inside + e[2]
      if not first then first = j end
    end
  end
  if cost > sl.limit then
    -- Bigger than a whole slice: it goes alone, once the slice is empty.
    if inside == 0 then return at end
    return sl.entries[#sl.entries][1] + sl.window
  end
  local excess = inside + cost - sl.limit
  if excess <= 0 then return at end
  for j = first, #sl.entries do
    excess = excess - sl.entries[j][2]
    if excess <= 0 then return sl.entries[j][1] + sl.window end
  end
  return at
end

local out_n = tonumber(redis.call('HGET', scope, 'out_n') or '0') or 0
local output_estimate = tonumber(ARGV[12])
if out_n > 0 then output_estimate = math.ceil(tonumber(redis.call('HGET', scope, 'out_avg')) or output_estimate) end

local granted, retry, reason = 0, 0, 'ok'
local out = {}
local reserved = 0
for i = 16, #ARGV, 4 do
  local max_out = tonumber(ARGV[i + 2])
  local cost = tonumber(ARGV[i + 1]) + (max_out >= 0 and max_out or output_estimate)
  local short = false
  for _, s in ipairs(sets) do
    if s.room < 1 then short = true end
  end
  if short then
    reason, retry = 'concurrency', tonumber(ARGV[13])
    break
  end
  -- The earliest time every bucket holds this item's cost (a cost above capacity waits for a full bucket).
  local at_scope, at_job, step = now, now, nil
  for _, d in ipairs(dims) do
    local c = d.tokens and cost or 1
    local t = d.tat + (c - math.max(d.capacity, c)) * d.interval
    if d.job then
      if t > at_job then at_job = t end
    else
      if t > at_scope then at_scope = t end
      if not step or d.interval < step then step = d.interval end
    end
  end
  local at = math.max(at_scope, at_job)
  for _ = 1, 2 do
    for _, sl in ipairs(slices) do
      local t = fit_slice(sl, at, sl.tokens and cost or 1)
      if t > at then at = t end
      if t > at_scope then at_scope = t end
    end
  end
  if at - now > horizon then
    reason, retry = 'rate', math.max(1, math.ceil(at - now - horizon))
    break
  end
  -- A job's own lower limit must not reserve the shared scope's future: that would leave holes other jobs
  -- cannot use. Such an item is granted only once its slot has come.
  if at_job > now and step and at_job > at_scope + step then
    reason, retry = 'rate', math.max(1, math.ceil(at_job - now))
    break
  end
  for _, d in ipairs(dims) do
    d.tat = math.max(d.tat, at) + (d.tokens and cost or 1) * d.interval
  end
  for _, sl in ipairs(slices) do
    local c = sl.tokens and cost or 1
    local logged = at + (tonumber(ARGV[i + 3]) or 0)
    sl.entries[#sl.entries + 1] = {logged, c}
    redis.call('ZADD', sl.key, string.format('%.3f', logged), ARGV[i] .. '|' .. c)
  end
  for _, s in ipairs(sets) do
    redis.call('ZADD', s.key, now + ttl, ARGV[i])
    s.room = s.room - 1
  end
  granted = granted + 1
  reserved = reserved + cost
  out[#out + 1] = math.ceil(at - now)
  out[#out + 1] = cost
end

for _, d in ipairs(dims) do
  -- The interval and capacity in force, so release_permit refunds in the same units.
  redis.call('HSET', d.key, d.field, string.format('%.3f', d.tat),
    d.field .. '_interval', string.format('%.6f', d.interval), d.field .. '_capacity', string.format('%.3f', d.capacity))
end
for _, sl in ipairs(slices) do
  redis.call('PEXPIRE', sl.key, math.ceil(sl.window + horizon + 1000))
end
if has_job then
  redis.call('PEXPIRE', KEYS[5], tonumber(ARGV[14]))
  redis.call('PEXPIRE', KEYS[6], tonumber(ARGV[14]))
end
if granted > 0 then
  redis.call('HINCRBY', scope, 'requests_granted', granted)
  redis.call('HINCRBY', scope, 'tokens_reserved', reserved)
end

local result = {granted, retry, reason, now}
for _, v in ipairs(out) do result[#result + 1] = v end
return result
