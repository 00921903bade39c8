-- cancel_job: stops new dispatches at once. Calls already in flight finish and are recorded; the job
-- becomes cancelled when the last of them ends (at once if none is in flight).
-- Returns the status after the call ('missing' for an unknown job).
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if is_terminal(status) or status == 'cancelling' then return status end
local now = now_ms()
redis.call('HSET', KEYS[1], 'status', 'cancelling', 'cancelling_at', math.floor(now / 1000),
  'cursor', meta_number('total'))
redis.call('DEL', KEYS[3], KEYS[5])
return finish_if_done(now)
