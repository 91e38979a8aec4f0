-- wrk script: GET <PING_PREFIX><id> over many heartbeats (PING_IDS, comma-separated), as many
-- cron jobs pinging their own heartbeat would, each thread starting at a different place; the
-- 200 answers are counted (the bench compares them with what Redis counted). The reference
-- goes through this same script (PING_PREFIX=/hello?), so both sides cost wrk the same.
local ids = {}
for id in string.gmatch(os.getenv("PING_IDS") or "", "[^,]+") do
  table.insert(ids, id)
end
local prefix = os.getenv("PING_PREFIX") or "/ping/"
local threads = {}
local tid = 0
function setup(thread)
  tid = tid + 1
  thread:set("offset", tid * 7919)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  accepted = 0
end

request = function()
  counter = counter + 1
  local id = ids[((counter + (offset or 0)) % #ids) + 1]
  return wrk.format("GET", prefix .. id)
end

response = function(status, headers, body)
  if status == 200 then accepted = accepted + 1 end
end

done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("accepted")
  end
  io.write(string.format("ACCEPTED %d\n", total))
end
