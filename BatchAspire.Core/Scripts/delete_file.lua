-- delete_file: removes an uploaded file. KEYS as create_file: meta, lines, tenant index.
-- ARGV[1] file id. Returns 1, or 0 when it did not exist.
local existed = redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return existed > 0 and 1 or 0
