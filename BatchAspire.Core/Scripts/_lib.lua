-- Shared by every job script (prepended when the scripts are loaded).
-- Every job script is called with the same KEYS layout, so that Garnet (which locks only the
-- declared keys in Lua transaction mode) and Redis Cluster (one hash tag per job) both see every key:
--   KEYS[1] meta     hash   job fields and counters
--   KEYS[2] items    hash   index -> stored item JSON
--   KEYS[3] ready    list   indexes requeued for dispatch (reaped, rate limited)
--   KEYS[4] leased   zset   index -> lease expiry (ms)
--   KEYS[5] delayed  zset   index -> due time (ms) of a durable retry
--   KEYS[6] results  hash   index -> result JSON (written once)
--   KEYS[7] done     list   indexes in completion order
--   KEYS[8] history  hash   index -> JSON array of attempts so far
--   KEYS[9] ids      hash   custom_id -> index
--   KEYS[10] active  list   ids of jobs with work to dispatch (global, round-robin)
--   KEYS[11] tenant  zset   the tenant's job ids by creation time (global)
--   KEYS[12] usage   hash   the tenant's running usage and cost counters (global; complete_items only)
--   KEYS[13] economy list   ids of jobs run through provider batch APIs (global; create_job, fall_back_to_fast only)
-- A job with a budget keeps, in meta: budget_pico, reserved_pico (worst-case cost of calls in flight),
-- cost_pico (actual cost so far) and one 'rsv:{index}' field per reservation (reserve_budget.lua).
-- Time always comes from the store's clock, never from the caller.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function meta_number(field)
  return tonumber(redis.call('HGET', KEYS[1], field) or '0') or 0
end

-- Gives back an item's budget reservation (if it holds one): its call ended, was rescheduled or lost.
-- Amounts stay strings end to end: Lua numbers print as %.14g, which would corrupt 15-digit picodollars.
local function release_reservation(idx)
  local field = 'rsv:' .. idx
  local amount = redis.call('HGET', KEYS[1], field)
  if amount then
    redis.call('HINCRBY', KEYS[1], 'reserved_pico', '-' .. amount)
    redis.call('HDEL', KEYS[1], field)
  end
end

local function is_terminal(status)
  return status == 'completed' or status == 'failed' or status == 'cancelled' or status == 'expired'
end

-- Ends the job when nothing remains: completed once every item has a result (expired instead when
-- expire_job wrote the last of them), cancelled once a cancelling job has nothing in flight.
-- A finished job's keys get the retention TTL.
local function finish_if_done(now)
  local status = redis.call('HGET', KEYS[1], 'status')
  local final = nil
  if status == 'in_progress' and meta_number('succeeded') + meta_number('failed') >= meta_number('total') then
    final = redis.call('HEXISTS', KEYS[1], 'expiring') == 1 and 'expired' or 'completed'
  elseif status == 'cancelling' and redis.call('ZCARD', KEYS[4]) == 0 then
    final = 'cancelled'
  end
  if not final then return status end
  local ts = math.floor(now / 1000)
  if final == 'completed' and redis.call('HEXISTS', KEYS[1], 'budget_stopped_at') == 1 then
    -- The budget stopped the job: every item has a result, but not every item was sent.
    redis.call('HSET', KEYS[1], 'status', 'failed', 'finalizing_at', ts, 'failed_at', ts, 'finished_at', ts)
    final = 'failed'
  elseif final == 'completed' then
    redis.call('HSET', KEYS[1], 'status', final, 'finalizing_at', ts, 'completed_at', ts, 'finished_at', ts)
  elseif final == 'expired' then
    redis.call('HSET', KEYS[1], 'status', final, 'expired_at', ts, 'finished_at', ts)
  else
    redis.call('HSET', KEYS[1], 'status', final, 'cancelled_at', ts, 'finished_at', ts)
  end
  local retention = meta_number('retention_s')
  for i = 1, 9 do redis.call('EXPIRE', KEYS[i], retention) end
  redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
  redis.call('LREM', KEYS[10], 0, redis.call('HGET', KEYS[1], 'id'))
  return final
end
