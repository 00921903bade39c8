-- create_file: makes a staged upload live in one step. The lines list was written beforehand with a short
-- staging TTL. Not a job script: its own KEYS layout.
--   KEYS[1] file meta  hash   id, tenant, filename, purpose, bytes, lines, created_at, expires_at
--   KEYS[2] file lines list   the content in raw chunks, in order
--   KEYS[3] tenant     zset   the tenant's file ids by creation time (global)
-- ARGV[1] file id, ARGV[2] retention (s), ARGV[3..] meta field/value pairs. Returns created_at (unix s).
local now = math.floor(now_ms() / 1000)
local retention = tonumber(ARGV[2])
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'created_at', now, 'expires_at', now + retention, unpack(fields))
redis.call('EXPIRE', KEYS[1], retention)
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], retention) end
redis.call('ZADD', KEYS[3], now, ARGV[1])
return now
