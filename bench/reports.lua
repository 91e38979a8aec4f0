-- wrk script: POST one problem report per request to the URL's path, each from a different
-- client address (X-Forwarded-For, believed from the loopback proxy), and count the 202 answers
-- and those that say the report was counted. The bench sends the same requests, through this
-- same script, to the reference endpoint: the load generator shares the two cores with the
-- servers, so both sides must cost it the same.
local threads = {}
tid = 0
local body = os.getenv("REPORT_BODY")
local run = tonumber(os.getenv("REPORT_RUN") or "1") -- distinct per wrk run: addresses never repeat

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  counted = 0
  accepted = 0
end

request = function()
  counter = counter + 1
  local address = string.format("fd00::%x:%x:%x", run, tid, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address}, body)
end

response = function(status, headers, response_body)
  if status == 202 then
    accepted = accepted + 1
    if string.find(response_body, '"counted":%s*true') then counted = counted + 1 end
  end
end

done = function(summary, latency, requests)
  local total_counted, total_accepted = 0, 0
  for _, thread in ipairs(threads) do
    total_counted = total_counted + thread:get("counted")
    total_accepted = total_accepted + thread:get("accepted")
  end
  io.write(string.format("ACCEPTED %d COUNTED %d\n", total_accepted, total_counted))
end
