-- wrk script for scripts/bench: POST one GraphQL body and check every response.
-- Arguments (after --): body file, expected body length (0: do not check), then headers
-- as "Name: value". Prints one line "WRKJSON {...}" that load.py parses.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  for i = 3, #args do
    local name, value = string.match(args[i], "^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
  expected_length = tonumber(args[2])
  ok, bad_status, errors, wrong_length = 0, 0, 0, 0
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
  elseif string.find(body, '"errors":', 1, true) then
    -- A top-level GraphQL error; inside a JSON string the quotes would be escaped.
    errors = errors + 1
  elseif expected_length > 0 and #body ~= expected_length then
    wrong_length = wrong_length + 1
  else
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local t = { ok = 0, bad_status = 0, errors = 0, wrong_length = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do
      t[key] = t[key] + (thread:get(key) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"ok":%d,' ..
    '"bad_status":%d,"errors":%d,"wrong_length":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    t.ok, t.bad_status, t.errors, t.wrong_length, e.connect, e.read, e.write, e.timeout))
end
