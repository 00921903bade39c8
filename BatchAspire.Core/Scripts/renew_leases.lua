-- renew_leases: extends the leases a Worker still holds to now + ARGV[1] ms.
-- ARGV[2..] item indexes. A lease already reaped is not revived. Returns how many were renewed.
local lease_until = now_ms() + tonumber(ARGV[1])
local renewed = 0
for i = 2, #ARGV do
  renewed = renewed + redis.call('ZADD', KEYS[4], 'XX', 'CH', lease_until, ARGV[i])
end
return renewed
