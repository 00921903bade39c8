-- expire_job: ends a job whose deadline (expires_at, unix s) has passed. Nothing more is dispatched, and
-- every item without a result gets a failed result with error code 'batch_expired'. Writes at most
-- ARGV[1] results per call so the store is never blocked for long: the caller calls again while 'more'
-- is 1. Safe to run from every Worker at once; the job stays in the active index until the last chunk,
-- so a Worker dying mid-way leaves the rest to the next call. A call in flight that finishes later is
-- a no-op (results are written once).
-- Returns {status, more}.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', 0} end
if status ~= 'in_progress' then return {status, 0} end
local expires = meta_number('expires_at')
local now = now_ms()
if expires == 0 or now < expires * 1000 then return {status, 0} end

if redis.call('HSETNX', KEYS[1], 'expiring', 1) == 1 then
  redis.call('DEL', KEYS[3], KEYS[5])
end
local total = meta_number('total')
local cursor = meta_number('expire_cursor')
local stop = math.min(total, cursor + tonumber(ARGV[1]))
local error_json = '{"code":"batch_expired","message":' .. cjson.encode(
  'The batch expired (completion_window ' .. (redis.call('HGET', KEYS[1], 'completion_window') or '') ..
  ') before this request finished.') .. '}'
local written = 0
for idx = cursor, stop - 1 do
  if redis.call('HEXISTS', KEYS[6], idx) == 0 then
    local raw = redis.call('HGET', KEYS[2], idx)
    local ok, item = pcall(cjson.decode, raw or '{}')
    if not ok or type(item) ~= 'table' then item = {} end
    local history = redis.call('HGET', KEYS[8], idx) or '[]'
    local result = '{"custom_id":' .. cjson.encode(item.custom_id or '') ..
      ',"status":"failed","provider":' .. cjson.encode(item.provider or '') ..
      ',"model":' .. cjson.encode(item.model or '') ..
      ',"response":null,"error":' .. error_json ..
      ',"usage":{"input_tokens":0,"output_tokens":0},"cost_usd":0,"attempts":' .. history .. '}'
    redis.call('HSET', KEYS[6], idx, result)
    redis.call('HINCRBY', KEYS[1], 'failed', 1)
    redis.call('RPUSH', KEYS[7], idx)
    redis.call('HDEL', KEYS[8], idx)
    redis.call('ZREM', KEYS[4], idx)
    written = written + 1
  end
end
redis.call('HSET', KEYS[1], 'expire_cursor', stop)
if written > 0 then redis.call('HINCRBY', KEYS[1], 'expired_items', written) end
return {finish_if_done(now), stop < total and 1 or 0}
