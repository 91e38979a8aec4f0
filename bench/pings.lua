-- wrk script: GET /ping/<uuid> over many heartbeats (PING_IDS, comma-separated), as many cron
-- jobs pinging their own heartbeat would, each thread starting at a different place.
local ids = {}
for id in string.gmatch(os.getenv("PING_IDS") or "", "[^,]+") do
  table.insert(ids, id)
end
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("offset", threads * 7919)
end
local counter = 0
request = function()
  counter = counter + 1
  local id = ids[((counter + (offset or 0)) % #ids) + 1]
  return wrk.format("GET", "/ping/" .. id)
end
