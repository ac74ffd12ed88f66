-- wrk script for scripts/bench: POST each of a file's GraphQL bodies exactly once, in order,
-- and sort every answer by its outcome. Run with one thread (-t1): the bodies are not split
-- between threads, so no body (no idempotency key) is ever sent twice.
-- Arguments (after --): the bodies file (one JSON body a line), then headers "Name: value".
-- Prints one line "WRKJSON {...}" that load.py parses.
--
-- wrk runs for a duration; these runs are counted instead. delay() holds a connection back
-- once every body is taken (a held connection sends nothing), and the last answer stops the
-- thread and wakes wrk's main thread with SIGINT (its handler ends the run and calls done()),
-- so -d is only the run's time limit. The run's own time is taken here, first send to last
-- answer, as wrk's summary would count the whole -d.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
int getpid(void);
int kill(int pid, int signal);
]]
local CLOCK_MONOTONIC, SIGINT, HOLD_MS = 1, 2, 3600000
local clock = ffi.new("bench_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + math.floor(tonumber(clock.tv_nsec) / 1000)
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(bodies, line) end
  end
  total = #bodies
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  for i = 2, #args do
    local name, value = string.match(args[i], "^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
  taken, sent, answered, started_us, finished_us = 0, 0, 0, 0, 0
  valid, invalid, found, empty, errors, bad_status = 0, 0, 0, 0, 0, 0
end

function delay()
  if taken < total then
    taken = taken + 1
    return 0
  end
  return HOLD_MS
end

function request()
  if taken == 0 then
    -- wrk's own check of the script, before any connection: it parses this request and
    -- never sends it, so it takes no body.
    return wrk.format(nil, nil, nil, bodies[1])
  end
  sent = sent + 1
  if sent == 1 then started_us = now_us() end
  return wrk.format(nil, nil, nil, bodies[sent])
end

function response(status, headers, body)
  if status ~= 200 then
    bad_status = bad_status + 1
  elseif string.find(body, '"errors":', 1, true) or string.find(body, '"userErrors":%s*%[%s*{') then
    -- A top-level GraphQL error (inside a JSON string the quotes would be escaped), or a
    -- mutation's non-empty userErrors.
    errors = errors + 1
  elseif string.find(body, '"valid":%s*true') then
    valid = valid + 1
  elseif string.find(body, '"valid":%s*false') then
    invalid = invalid + 1
  elseif string.find(body, '^{"data":{"[%w_]+":null}') then
    empty = empty + 1 -- the one field asked for is null: nothing found
  else
    found = found + 1
  end
  answered = answered + 1
  if answered == total then
    finished_us = now_us()
    wrk.thread:stop()
    ffi.C.kill(ffi.C.getpid(), SIGINT)
  end
end

function done(summary, latency, requests)
  local t = { total = 0, answered = 0, started_us = 0, finished_us = 0, valid = 0,
              invalid = 0, found = 0, empty = 0, errors = 0, bad_status = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do
      t[key] = t[key] + (thread:get(key) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"total":%d,"answered":%d,"run_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%d,' ..
    '"valid":%d,"invalid":%d,"found":%d,"empty":%d,"errors":%d,"bad_status":%d,' ..
    '"socket":%d}\n',
    t.total, t.answered, t.finished_us - t.started_us, latency:percentile(50),
    latency:percentile(99), math.floor(latency.mean), t.valid, t.invalid, t.found, t.empty, t.errors,
    t.bad_status, e.connect + e.read + e.write + e.timeout))
end
