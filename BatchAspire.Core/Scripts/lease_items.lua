-- lease_items: takes up to ARGV[1] items of an in-progress job for one Worker, leasing each until
-- now + ARGV[2] ms. Due retries go first, then requeued items, then never-dispatched ones (a cursor,
-- so a job of a million items needs no million-entry list).
-- Returns {status, next_due_ms, idx1, item1, history1, idx2, ...}; next_due_ms is how long until the
-- earliest delayed retry is due when nothing could be taken (-1 when there is none).
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'in_progress' then return {status or 'missing', -1} end
local now = now_ms()
-- Past its deadline a job dispatches nothing more; expire_job fails what is left.
local expires = meta_number('expires_at')
if expires > 0 and now >= expires * 1000 then return {status, -1} end
local want = tonumber(ARGV[1])
local lease_until = now + tonumber(ARGV[2])
local taken = {}

local due = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, want)
for _, idx in ipairs(due) do
  redis.call('ZREM', KEYS[5], idx)
  taken[#taken + 1] = idx
end
if #taken < want then
  local requeued = redis.call('LPOP', KEYS[3], want - #taken)
  if requeued then
    for _, idx in ipairs(requeued) do taken[#taken + 1] = idx end
  end
end
if #taken < want then
  local cursor = meta_number('cursor')
  local n = math.min(want - #taken, meta_number('total') - cursor)
  if n > 0 then
    for i = cursor, cursor + n - 1 do taken[#taken + 1] = tostring(i) end
    redis.call('HSET', KEYS[1], 'cursor', cursor + n)
  end
end

if #taken == 0 then
  local next_due = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
  if next_due[2] then return {status, math.max(0, tonumber(next_due[2]) - now)} end
  return {status, -1}
end

local out = {status, 0}
local items = redis.call('HMGET', KEYS[2], unpack(taken))
local history = redis.call('HMGET', KEYS[8], unpack(taken))
for i, idx in ipairs(taken) do
  redis.call('ZADD', KEYS[4], lease_until, idx)
  out[#out + 1] = idx
  out[#out + 1] = items[i] or ''
  out[#out + 1] = history[i] or ''
end
return out
